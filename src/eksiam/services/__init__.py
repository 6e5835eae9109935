"""AWS semantics: IAM, STS, EKS as plain classes, one public method per operation."""
