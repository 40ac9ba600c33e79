"""The Hunan urbanization simulator: model, parameters, world, scenarios, markets and indicators."""
