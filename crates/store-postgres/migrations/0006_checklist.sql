-- Checklist (issue #6): answers per fiscal year, evidence files, hospital profile, manufacturer
-- self-assessments. Every change is audited by mdsec in the same transaction (audit_log).
CREATE TABLE checklist_answers (
    fiscal_year BIGINT NOT NULL,
    item_id TEXT NOT NULL,
    answer TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'na')),
    target_date TEXT,
    owner TEXT,
    note TEXT,
    link TEXT,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (fiscal_year, item_id)
);

CREATE TABLE checklist_evidence_files (
    id BIGINT PRIMARY KEY,
    fiscal_year BIGINT NOT NULL,
    item_id TEXT NOT NULL,
    name TEXT NOT NULL CHECK (length(name) > 0),
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0 AND size_bytes <= 10485760),
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX checklist_evidence_item ON checklist_evidence_files (fiscal_year, item_id);

CREATE TABLE checklist_profile (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    hospital_name TEXT,
    hospital_type TEXT,
    beds BIGINT,
    include_hhs BIGINT NOT NULL DEFAULT 0,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE manufacturer_assessments (
    manufacturer TEXT PRIMARY KEY,
    answers TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
