"""The pipeline side: `ec-task provision|deprovision`, the steps of the Tekton tasks in tekton/.

The logic (provision.py, deprovision.py) talks to Kubernetes only through the seam in seam.py;
kube.py implements it over the official `kubernetes` client, simkube.py over the lifecycle
simulation in scripts/sim.
"""
