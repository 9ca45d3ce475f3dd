# Linear probe "schedule": no epochs of gradient steps. FeatureFitLoop extracts the
# features of the training (and validation) split once and calls model.fit (logistic
# regression with the search of C on the validation features), then validates.
train_cfg = dict(type='FeatureFitLoop')
val_cfg = dict()
test_cfg = dict()
# MMEngine's runner needs an optimizer with a training loop; FeatureFitLoop never steps it.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.0))
