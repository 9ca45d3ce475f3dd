# ISP's schedule: the abstract gives none, so that of IVLP, whose deep prompts ISP's base
# prompts are (./ivlp_ep20_bs4.py: SGD lr 0.0025, momentum 0.9, weight decay 5e-4, batch 4,
# 20 epochs, 1 constant warm-up epoch at 1e-5, then cosine).
_base_ = ['./ivlp_ep20_bs4.py']
