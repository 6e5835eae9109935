"""OIDC issuers per cluster: discovery documents, JWKS, signing keys, service-account tokens."""
