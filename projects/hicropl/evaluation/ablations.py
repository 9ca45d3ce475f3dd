"""The HiCroPL paper's ablations: tables, rows and the configs behind them.

One place that says which ablation config (``configs/hicropl/ablations/
<name>.py``, whose ``ablation = '<name>'`` is recorded in ``results.json``)
fills which row of which paper table; ``None`` is the paper's default
HiCroPL (the plain base-to-novel runs). ``tools/analysis/report.py`` lays
the tables out from this, ``tools/sweep.py --ablations`` plans runs from it.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

__all__ = ['ABLATION_TABLES', 'ablation_names', 'ablation_table']

# table id -> (title, [(row label, ablation config name or None), ...]),
# rows in the paper's order.
ABLATION_TABLES: 'OrderedDict[str, Tuple[str, List[Tuple[str, Optional[str]]]]]' \
    = OrderedDict([
        ('table4', ('Table 4: knowledge-flow direction', [
            ('I→T', 'table4_i2t_only'),
            ('T→I', 'table4_t2i_only'),
            ('I→T | T→I', 'table4_i2t_then_t2i'),
            ('T→I | I→T (HiCroPL)', None),
        ])),
        ('table5', ('Table 5: layer boundary k', [
            ('k = 2', 'table5_k2'),
            ('k = 4', 'table5_k4'),
            ('k = 6 (HiCroPL)', None),
            ('k = 8', 'table5_k8'),
            ('k = 10', 'table5_k10'),
        ])),
        ('table6', ('Table 6: mapper design (T→I mapper, I→T mapper)', [
            ('single-scale, single-scale', 'table6_single_single'),
            ('single-scale, multi-scale', 'table6_t2i_single'),
            ('multi-scale, single-scale', 'table6_i2t_single'),
            ('multi-scale, multi-scale (HiCroPL)', None),
        ])),
        ('table7', ('Table 7: prompt compression (proxy)', [
            ('equal weighting (averaging)', 'table7_proxy_mean'),
            ('multilayer perceptron (MLP)', 'table7_proxy_mlp'),
            ('LKP (HiCroPL)', None),
        ])),
        ('table11', ('Table 11: components (BKF, L_cons)', [
            ('no BKF, no L_cons', 'table11_no_bkf_no_cons'),
            ('L_cons only', 'table11_cons_only'),
            ('BKF only', 'table11_bkf_only'),
            ('BKF + L_cons (HiCroPL)', None),
        ])),
        ('table12', ('Table 12: frozen text source', [
            ('one template "a photo of a {}."', 'table12_single_template'),
            ('PromptSRC template set', 'table12_promptsrc_templates'),
            ('one random description per class and step',
             'table12_random_description'),
            ('averaged descriptions (HiCroPL)', None),
        ])),
        ('table13', ('Table 13: consistency criterion', [
            ('MSE', 'table13_consistency_mse'),
            ('L1', 'table13_consistency_l1'),
            ('cosine (HiCroPL)', None),
        ])),
        ('fig4_depth', ('Figure 4 (left): prompt depth', [
            ('depth 3', 'fig4_depth3'),
            ('depth 6', 'fig4_depth6'),
            ('depth 9', 'fig4_depth9'),
            ('depth 12 (HiCroPL)', None),
        ])),
        ('fig4_length', ('Figure 4 (right): prompt length', [
            ('length 2', 'fig4_length2'),
            ('length 4', 'fig4_length4'),
            ('length 8', 'fig4_length8'),
            ('length 16 (HiCroPL)', None),
        ])),
        ('paper_choices', ("Paper vs authors' code", [
            ('mapper FFN GELU (Eq. 10)', 'paper_mapper_gelu'),
            ('logits of the prompted features (Eq. 4)',
             'paper_eq4_prompted_logits'),
            ("QuickGELU, fused logits (authors' code, HiCroPL)", None),
        ])),
    ])


def ablation_names() -> List[str]:
    """Every ablation config name, table by table."""
    return [name for _, rows in ABLATION_TABLES.values()
            for _, name in rows if name]


def ablation_table(name: str) -> Dict[str, str]:
    """``table`` id and ``row`` label of an ablation config name."""
    for table, (_, rows) in ABLATION_TABLES.items():
        for label, config in rows:
            if config == name:
                return dict(table=table, row=label)
    raise KeyError(f'{name!r} is not an ablation of ABLATION_TABLES')
