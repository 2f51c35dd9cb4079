"""Volatility model serving for the Analytics service.

Import the parts from their modules: `component.InferenceComponent` (a servicekit
component) and `api.router`. This file stays empty so that the training tool, which
imports only `features`, does not pull in the serving stack.
"""
