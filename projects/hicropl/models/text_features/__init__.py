from .class_text_embeddings import (ClassTextEmbeddings, DescriptionTextEmbeddings,
                                    TemplateTextEmbeddings, description_key)
from .class_text_embeddings import RandomDescriptionTextEmbeddings

__all__ = ['ClassTextEmbeddings', 'DescriptionTextEmbeddings', 'TemplateTextEmbeddings',
           'description_key']
__all__ += ['RandomDescriptionTextEmbeddings']
