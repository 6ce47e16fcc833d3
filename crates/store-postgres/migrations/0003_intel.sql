-- Vulnerability intelligence (issue 4): advisories as imported, KEV and EPSS, device models with
-- their SBOMs and MDS2 forms, VEX statements, findings with their lifecycle, per-device priority and
-- notices. Scores are stored as integers (CVSS ×10, EPSS ×1,000,000, priority ×100) so both engines
-- compare and sort them the same way.
CREATE TABLE advisories (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    cves TEXT NOT NULL,
    cvss_tenths BIGINT,
    published TEXT,
    modified TEXT,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    document TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE kev_entries (
    cve_id TEXT PRIMARY KEY,
    vendor TEXT,
    product TEXT,
    name TEXT,
    date_added TEXT,
    due_date TEXT,
    required_action TEXT,
    known_ransomware BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE epss_scores (
    cve_id TEXT PRIMARY KEY,
    epss_micro BIGINT NOT NULL,
    percentile_micro BIGINT,
    score_date TEXT
);

CREATE TABLE device_models (
    id BIGINT PRIMARY KEY,
    manufacturer TEXT NOT NULL,
    model TEXT NOT NULL,
    version TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (manufacturer, model, version)
);

CREATE TABLE sboms (
    id BIGINT PRIMARY KEY,
    device_model_id BIGINT NOT NULL REFERENCES device_models (id),
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    component_count BIGINT NOT NULL,
    attached_at TEXT NOT NULL,
    attached_by TEXT NOT NULL
);
CREATE INDEX sboms_model ON sboms (device_model_id);

CREATE TABLE sbom_components (
    sbom_id BIGINT NOT NULL REFERENCES sboms (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    version TEXT,
    purl TEXT,
    cpe TEXT
);
CREATE INDEX sbom_components_sbom ON sbom_components (sbom_id, position);

CREATE TABLE mds2_forms (
    id BIGINT PRIMARY KEY,
    device_model_id BIGINT NOT NULL REFERENCES device_models (id),
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    profile TEXT NOT NULL,
    attached_at TEXT NOT NULL,
    attached_by TEXT NOT NULL
);
CREATE INDEX mds2_forms_model ON mds2_forms (device_model_id);

CREATE TABLE vex_statements (
    id BIGINT PRIMARY KEY,
    vulnerability TEXT NOT NULL,
    manufacturer TEXT,
    model TEXT,
    versions TEXT,
    purl TEXT,
    status TEXT NOT NULL CHECK (status IN ('not_affected', 'affected', 'fixed', 'under_investigation')),
    justification TEXT,
    detail TEXT,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    file_name TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX vex_statements_vulnerability ON vex_statements (vulnerability);

CREATE TABLE findings (
    id BIGINT PRIMARY KEY,
    device_id BIGINT NOT NULL REFERENCES devices (id),
    advisory_id TEXT NOT NULL,
    match_status TEXT NOT NULL,
    confidence TEXT NOT NULL,
    evidence TEXT NOT NULL,
    aliases TEXT NOT NULL,
    remediations TEXT NOT NULL,
    vex TEXT,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'triaged', 'mitigated', 'accepted', 'false_positive', 'closed')),
    owner TEXT,
    due_date TEXT,
    comment TEXT,
    compensating_controls TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (device_id, advisory_id)
);
CREATE INDEX findings_advisory ON findings (advisory_id);

CREATE TABLE device_priorities (
    device_id BIGINT PRIMARY KEY REFERENCES devices (id),
    score_centi BIGINT NOT NULL,
    reasons TEXT NOT NULL,
    open_findings BIGINT NOT NULL,
    computed_at TEXT NOT NULL
);
CREATE INDEX device_priorities_score ON device_priorities (score_centi, device_id);

CREATE TABLE notices (
    id BIGINT PRIMARY KEY,
    device_id BIGINT NOT NULL REFERENCES devices (id),
    advisory_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'muted')),
    assigned_to TEXT,
    emailed_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (device_id, advisory_id, recipient)
);
CREATE INDEX notices_recipient ON notices (recipient, id);

-- Where notices are e-mailed: an address per account (optional).
ALTER TABLE users ADD COLUMN email TEXT;
