"""One module per grant type; each turns an authenticated token request into a token response body."""
