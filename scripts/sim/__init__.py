"""A tick-by-tick simulation of Crossplane, provider-kubernetes and the app.ci reconciler."""
