"""One blueprint per resource; ``api.app.BLUEPRINTS`` lists them."""
