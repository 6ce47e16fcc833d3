-- Remote-maintenance lines registry (issue #7), PostgreSQL: the same tables as SQLite. Lines, the
-- devices each serves, sessions and the devices each session touches. Every change is audited by
-- mdsec in the same transaction (entities remote_line and remote_session). Times: RFC 3339 UTC text.
CREATE TABLE remote_lines (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL,
    vendor TEXT NOT NULL CHECK (length(vendor) > 0),
    method TEXT NOT NULL CHECK (method IN ('site_to_site_vpn', 'client_vpn', 'lte_router', 'isdn_analog', 'cloud_relay', 'direct_internet', 'other')),
    endpoints TEXT NOT NULL,
    vendor_contact TEXT,
    hospital_owner TEXT,
    contract_ref TEXT,
    approval_policy TEXT NOT NULL CHECK (approval_policy IN ('per_session', 'always_on')),
    last_review TEXT,
    notes TEXT,
    source TEXT NOT NULL,
    import_key TEXT UNIQUE,
    retired_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE remote_line_devices (
    line_id BIGINT NOT NULL REFERENCES remote_lines (id),
    device_id BIGINT NOT NULL REFERENCES devices (id),
    PRIMARY KEY (line_id, device_id)
);
CREATE INDEX remote_line_devices_device ON remote_line_devices (device_id);

CREATE TABLE remote_sessions (
    id BIGINT PRIMARY KEY,
    line_id BIGINT NOT NULL REFERENCES remote_lines (id),
    status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'active', 'ended', 'cancelled')),
    requested_by TEXT NOT NULL,
    requested_by_id BIGINT,
    requested_at TEXT NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (length(purpose) > 0),
    decided_by TEXT,
    decided_at TEXT,
    decision_note TEXT,
    emergency BIGINT NOT NULL DEFAULT 0,
    emergency_reason TEXT,
    started_at TEXT,
    started_by TEXT,
    ended_at TEXT,
    ended_by TEXT,
    work_summary TEXT,
    firewall_rule TEXT,
    CHECK (window_end > window_start),
    CHECK (emergency = 0 OR (emergency_reason IS NOT NULL AND length(emergency_reason) > 0))
);
CREATE INDEX remote_sessions_line ON remote_sessions (line_id, window_start);

CREATE TABLE remote_session_devices (
    session_id BIGINT NOT NULL REFERENCES remote_sessions (id),
    device_id BIGINT NOT NULL REFERENCES devices (id),
    PRIMARY KEY (session_id, device_id)
);
