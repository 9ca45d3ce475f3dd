from .class_text_embeddings import (ClassTextEmbeddings, DescriptionTextEmbeddings,
                                    TemplateTextEmbeddings, description_key)

__all__ = ['ClassTextEmbeddings', 'DescriptionTextEmbeddings', 'TemplateTextEmbeddings',
           'description_key']
