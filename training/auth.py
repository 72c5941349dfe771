"""Bearer-token guard of the trainer's state-changing endpoints (read-only endpoints and probes stay open)."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

TOKEN_ENV = "TICKET_TRAINER_API_TOKEN"  # noqa: S105 - the variable's name, not a secret
SCHEME_NAME = "TrainerApiToken"

# auto_error=False: a missing or malformed header reaches the guard, which answers 401 with the
# WWW-Authenticate challenge itself (FastAPI's own answer to it differs between versions).
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name=SCHEME_NAME,
    description=f"The trainer's API token ({TOKEN_ENV}), sent as `Authorization: Bearer <token>`.",
)


def token_matches(expected: SecretStr, presented: str) -> bool:
    """Constant-time comparison of the presented token with the configured one."""
    return hmac.compare_digest(expected.get_secret_value().encode(), presented.encode())


def require_token(expected: SecretStr | None) -> Callable[..., None]:
    """A FastAPI dependency: 503 when no token is configured, 401 without credentials, 403 with wrong ones."""

    def guard(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:  # noqa: B008
        if expected is None:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                detail=f"state-changing endpoints are disabled until {TOKEN_ENV} is set",
            )
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="a bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not token_matches(expected, credentials.credentials):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="the token is not valid")

    return guard
