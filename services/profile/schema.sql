-- Profile schema. Migrations ship ahead of the code that uses them: profile_audit is
-- created here, and written from release 2.4.0 of the profile service on.
CREATE TABLE users (
    id            bigint PRIMARY KEY,
    name          text NOT NULL,
    avatar_url    text NOT NULL,
    password_hash text NOT NULL,
    updated_at    timestamptz NOT NULL,
    version       bigint NOT NULL DEFAULT 1
);

CREATE TABLE profile_audit (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users,
    changed_at timestamptz NOT NULL DEFAULT now(),
    fields     text[] NOT NULL,
    previous   jsonb NOT NULL,
    version    bigint NOT NULL
);
CREATE INDEX profile_audit_user_changed ON profile_audit (user_id, changed_at);
