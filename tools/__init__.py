"""Tools used from a source checkout: the generated sample corpus for tests and the demo."""
