"""The ASGI server: one port for the AWS endpoint, OIDC issuers and cluster APIs."""
