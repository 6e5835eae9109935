"""The Kubernetes side: the pod identity webhook, the cluster API subset, EKS token authentication."""
