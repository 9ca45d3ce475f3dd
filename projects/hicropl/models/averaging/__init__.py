from .gaussian_epoch_average import GaussianEpochAverage, gaussian_epoch_weights

__all__ = ['GaussianEpochAverage', 'gaussian_epoch_weights']
