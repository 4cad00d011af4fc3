"""deploy/: render every kustomization, hold each document to the real schemas, pin the digest."""
