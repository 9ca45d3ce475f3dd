from .class_names_hook import ClassNamesHook

__all__ = ['ClassNamesHook']
