"""The signed-in user's own account. Each topic's module adds its routes to ``routes.bp``."""
from . import sessions  # noqa: F401  (registers its routes)
