# Domain generalization (paper Sec. 4.5, Table 3): the ImageNet model of the
# cross-dataset protocol (same settings) tested on ImageNet-V2, -Sketch, -A and
# -R without retraining.
_base_ = ['./cross_dataset.py']

protocol = 'domain_generalization'
