# HiCroPL as the authors' code computes it (reference README sections 4-5):
# mapped prompts written into the parameters on every forward, identical start
# values, ctx_init only for n_ctx <= 4. Use it for checkpoints converted with
# tools/model_converters/hicropl_official_to_mmpretrain.py.
_base_ = ['./hicropl_vit-b16.py']

model = dict(prompt_learner=dict(type='HiCroPLOfficialPromptLearner'))
# The knowledge mappers, LKPs and proxy tokens never receive a gradient (Q3):
# DDP must not wait for them.
find_unused_parameters = True
