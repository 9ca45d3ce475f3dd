# PromptSRC for the cross-dataset and domain-generalization protocols: prompts in
# the first 3 layers of each tower (the authors' *_cross_datasets.yaml; as MaPLe's
# cross-dataset setting). NOTE: recalled from the authors' repository, not checked
# against the yaml in this offline environment.
_base_ = ['./promptsrc_vit-b16.py']

model = dict(prompt_learner=dict(text_depth=3, vision_depth=3))
