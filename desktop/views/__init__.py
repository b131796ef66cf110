"""Views: one per sidebar section."""
