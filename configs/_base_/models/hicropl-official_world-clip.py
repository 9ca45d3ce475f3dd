# HiCroPL as the authors' code computes it (HiCroPLOfficialPromptLearner) on the
# world CLIP; see ./hicropl_world-clip.py.
_base_ = ['./hicropl_world-clip.py']

model = dict(prompt_learner=dict(type='HiCroPLOfficialPromptLearner'))
