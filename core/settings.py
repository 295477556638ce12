"""Velox settings: the one place that reads the environment and `.env`.

Variable names are the operations guide's. Defaults give the embedded mode:
no ``DATABASE_URL`` means a SQLite file under ``data/``; no ``REDIS_URL`` (and no
``CELERY_BROKER_URL``) means no broker, so jobs run in process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting has a bad value; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    # Application
    APP_NAME: str = "VeloxOptimizer"
    APP_VERSION: str = "1.0.0"
    DEBUG: bool = False
    TESTING: bool = False

    # Security
    SECRET_KEY: str = "dev-insecure-secret-key-change-me"
    REQUIRE_AUTH_TOKEN: bool = False
    API_AUTH_TOKEN: str | None = None
    ENABLE_API_DOCS: bool = False
    ALLOWED_CODE_ROOTS: str = "."
    MAX_INLINE_CODE_CHARS: int = Field(200_000, gt=0)
    MAX_UPLOAD_SIZE_BYTES: int = Field(1_000_000, gt=0)
    RATE_LIMIT_REQUESTS_PER_MINUTE: int = Field(120, gt=0)
    ENABLE_API_UNIT_TEST_COMMAND_OVERRIDE: bool = False
    # Monitor webhooks may target loopback/private/link-local addresses (on-prem hooks).
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool = False

    # Storage and messaging
    DATABASE_URL: str | None = None
    REDIS_URL: str | None = None
    REDIS_KEY_PREFIX: str = "code_optimizer_ai"
    CELERY_BROKER_URL: str | None = None
    CELERY_RESULT_BACKEND: str | None = None

    # LLM
    OPENROUTER_API_KEY: str | None = None
    OPENROUTER_BASE_URL: str = "https://openrouter.ai/api/v1"
    OPENROUTER_PRIMARY_MODEL: str = "openai/gpt-4o-mini"
    OPENROUTER_SECONDARY_MODEL: str = "anthropic/claude-3.5-sonnet"
    OPENAI_API_KEY: str | None = None
    OPENAI_BASE_URL: str | None = None
    OPENAI_MODEL: str = "gpt-4o-mini"
    OLLAMA_BASE_URL: str | None = None
    OLLAMA_MODEL: str = "llama3"
    DEFAULT_LLM_PROVIDER: Literal["openrouter", "openai", "ollama"] = "openrouter"
    LLM_TIMEOUT_SECONDS: float = Field(45.0, gt=0)

    # Optimization
    OBJECTIVE_RUNTIME_WEIGHT: float = Field(0.5, ge=0, le=1)
    OBJECTIVE_MEMORY_WEIGHT: float = Field(0.5, ge=0, le=1)
    DEFAULT_MAX_SUGGESTIONS: int = Field(5, gt=0, le=100)
    UNIT_TEST_COMMAND: str = "pytest {path} --maxfail=1 -x"

    # Training
    TRAINING_DATA_PATH: str = "data/training"
    MODEL_CHECKPOINT_PATH: str = "models/rl_policy"

    @field_validator("UNIT_TEST_COMMAND")
    @classmethod
    def _test_command_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _token_when_auth_required(self) -> Settings:
        if self.REQUIRE_AUTH_TOKEN and not self.API_AUTH_TOKEN:
            raise ValueError("API_AUTH_TOKEN must be set when REQUIRE_AUTH_TOKEN is true")
        return self

    # Derived values -------------------------------------------------------------

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL; embedded default is a SQLite file under data/."""
        if self.DATABASE_URL:
            url = self.DATABASE_URL
            if url.startswith("postgres://"):
                url = "postgresql://" + url[len("postgres://"):]
            return url
        return f"sqlite:///{(PROJECT_ROOT / 'data' / 'velox.db').as_posix()}"

    @property
    def broker_url(self) -> str | None:
        """Celery broker; None means embedded mode (work runs in process)."""
        return self.CELERY_BROKER_URL or self.REDIS_URL

    @property
    def result_backend(self) -> str | None:
        return self.CELERY_RESULT_BACKEND or self.REDIS_URL

    @property
    def embedded(self) -> bool:
        return self.broker_url is None

    @property
    def allowed_code_roots(self) -> list[Path]:
        return [
            Path(part.strip()).expanduser().resolve()
            for part in self.ALLOWED_CODE_ROOTS.split(",")
            if part.strip()
        ]

    @property
    def objective_weights(self) -> dict[str, float]:
        return {"runtime": self.OBJECTIVE_RUNTIME_WEIGHT, "memory": self.OBJECTIVE_MEMORY_WEIGHT}

    @property
    def training_data_dir(self) -> Path:
        return _under_root(self.TRAINING_DATA_PATH)

    @property
    def model_dir(self) -> Path:
        return _under_root(self.MODEL_CHECKPOINT_PATH)

    @property
    def feedback_path(self) -> Path:
        return self.training_data_dir / "online_feedback.jsonl"


def _under_root(path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise SettingsError(f"invalid setting {name}: {first.get('msg', 'bad value')}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (cached). Tests call ``get_settings.cache_clear()``."""
    return load_settings()
