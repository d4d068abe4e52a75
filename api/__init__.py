"""The HTTP service: `create_app(settings)` builds it, `serve(settings)` runs it."""
