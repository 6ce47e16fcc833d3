//! The JSON API under `/api/v1`, for scripts and other systems. Bearer tokens (`mdsec token create`)
//! or a browser session with the `X-CSRF-Token` header. Errors are `{"error": {"code", "message"}}`.

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::pages::devices::ListParams;
use crate::{policy, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use mdsec_domain::{normalize, DeviceFields};
use mdsec_store::{AuditQuery, Device, FindingQuery, FindingUpdate};
use serde::Deserialize;
use serde_json::{json, Value};

/// Largest JSON body the API reads.
pub const MAX_JSON_BODY: usize = 1 << 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/devices", get(list_devices).post(create_device))
        .route(
            "/devices/{id}",
            get(get_device).put(update_device).delete(delete_device),
        )
        .route("/devices/{id}/history", get(device_history))
        .route("/audit", get(audit))
        .route("/act-now", get(act_now))
        .route("/findings", get(list_findings))
        .route("/findings/{id}", get(get_finding).patch(update_finding))
        .route("/models", get(list_models))
        .route("/models/attach", axum::routing::post(attach_model_file))
        .route("/models/{id}", get(get_model))
        .route("/advisories", get(list_advisories))
}

#[derive(Deserialize)]
pub struct AttachParams {
    /// `sbom` or `mds2`.
    pub kind: String,
    pub manufacturer: Option<String>,
    pub model: String,
    pub version: Option<String>,
    /// Name the file is known by in messages and the audit log.
    pub file_name: Option<String>,
}

/// `POST /api/v1/models/attach?kind=sbom|mds2&manufacturer=…&model=…[&version=…]` with the file as
/// the body: attach, re-match the model's devices, return what changed.
async fn attach_model_file(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<AttachParams>,
    body: Bytes,
) -> WebResult<Json<Value>> {
    csrf(&ctx, &headers).map_err(WebError::json)?;
    if !policy::can_attach_model_files(&ctx.user) {
        return Err(WebError::forbidden().json());
    }
    let kind = mdsec_intel::attach::AttachKind::from_code(&p.kind)
        .ok_or_else(|| WebError::bad_request("kind must be sbom or mds2").json())?;
    let manufacturer = match policy::manufacturer_scope(&ctx.user) {
        Some(own) => own,
        None => p
            .manufacturer
            .filter(|m| !m.trim().is_empty())
            .ok_or_else(|| WebError::bad_request("manufacturer is required").json())?,
    };
    let name = p.file_name.unwrap_or_else(|| format!("upload.{}", p.kind));
    let r = api(mdsec_intel::attach::attach(
        &*state.app.store,
        &ctx.actor(),
        mdsec_intel::attach::AttachRequest {
            kind,
            manufacturer: &manufacturer,
            model: &p.model,
            version: p.version.as_deref(),
            file_name: &name,
            bytes: &body,
        },
    )
    .await
    .map_err(WebError::from))?;
    Ok(Json(json!(r)))
}

#[derive(Deserialize, Default)]
pub struct FindingParams {
    pub device_id: Option<i64>,
    pub advisory_id: Option<String>,
    pub status: Option<String>,
    pub department: Option<String>,
    pub open: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

async fn act_now(ctx: Ctx, State(state): State<AppState>) -> WebResult<Json<Value>> {
    let store = &state.app.store;
    let page = api(store
        .device_priorities(true, 1_000, 0)
        .await
        .map_err(WebError::from))?;
    let mut items = Vec::new();
    for p in page.items {
        let Some(d) = api(store.get_device(p.device_id).await.map_err(WebError::from))? else {
            continue;
        };
        if !policy::can_view_device(&ctx.user, &d) {
            continue;
        }
        let findings = api(store
            .list_findings(&FindingQuery {
                device_id: Some(d.id),
                open_only: true,
                limit: 10_000,
                ..Default::default()
            })
            .await
            .map_err(WebError::from))?;
        items.push(json!({"device": policy::redact_device(&ctx.user, d), "priority": p.score, "reasons": p.reasons, "findings": findings.items}));
    }
    // A manufacturer's total is the count of its own devices on the list, never the hospital's.
    let total = match policy::manufacturer_scope(&ctx.user) {
        Some(_) => items.len() as i64,
        None => page.total,
    };
    Ok(Json(json!({"items": items, "total": total})))
}

async fn list_findings(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<FindingParams>,
) -> WebResult<Json<Value>> {
    let q = FindingQuery {
        device_id: p.device_id,
        advisory_id: p.advisory_id,
        status: p.status,
        department: p.department,
        manufacturer: policy::manufacturer_scope(&ctx.user),
        open_only: p.open.unwrap_or(false),
        limit: p.limit.unwrap_or(100).clamp(1, 10_000),
        offset: p.offset.unwrap_or(0),
    };
    let page = api(state
        .app
        .store
        .list_findings(&q)
        .await
        .map_err(WebError::from))?;
    Ok(Json(
        json!({"items": page.items, "total": page.total, "limit": q.limit, "offset": q.offset}),
    ))
}

async fn finding_and_device(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> WebResult<(mdsec_store::FindingRecord, Device)> {
    let f = api(state
        .app
        .store
        .get_finding(id)
        .await
        .map_err(WebError::from))?
    .ok_or_else(|| WebError::not_found().json())?;
    let d = load(state, ctx, f.device_id).await?;
    Ok((f, d))
}

async fn get_finding(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Json<Value>> {
    let (f, _) = finding_and_device(&state, &ctx, id).await?;
    Ok(Json(json!(f)))
}

async fn update_finding(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(u): Json<FindingUpdate>,
) -> WebResult<Json<Value>> {
    api(csrf(&ctx, &headers))?;
    let (_, d) = finding_and_device(&state, &ctx, id).await?;
    if !policy::can_edit_device(&ctx.user, &d) {
        return Err(WebError::forbidden().json());
    }
    let f = api(state
        .app
        .store
        .update_finding(&ctx.actor(), id, u)
        .await
        .map_err(WebError::from))?;
    api(
        mdsec_intel::refresh_priorities(&*state.app.store, &ctx.actor())
            .await
            .map_err(|e| {
                WebError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    e.to_string(),
                )
            }),
    )?;
    Ok(Json(json!(f)))
}

async fn list_models(ctx: Ctx, State(state): State<AppState>) -> WebResult<Json<Value>> {
    let scope = policy::manufacturer_scope(&ctx.user);
    let models: Vec<_> = api(state
        .app
        .store
        .list_device_models()
        .await
        .map_err(WebError::from))?
    .into_iter()
    .filter(|m| scope.as_deref().is_none_or(|s| s == m.manufacturer))
    .collect();
    Ok(Json(json!({"items": models})))
}

async fn get_model(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Json<Value>> {
    let store = &state.app.store;
    let m = api(store.get_device_model(id).await.map_err(WebError::from))?
        .ok_or_else(|| WebError::not_found().json())?;
    if policy::manufacturer_scope(&ctx.user).is_some_and(|s| s != m.manufacturer) {
        return Err(WebError::not_found().json());
    }
    let sboms = api(store.model_sboms(id).await.map_err(WebError::from))?;
    let components = api(store.model_components(id).await.map_err(WebError::from))?;
    let mds2 = api(store.model_mds2(id).await.map_err(WebError::from))?;
    Ok(Json(
        json!({"model": m, "sboms": sboms, "components": components, "mds2": mds2}),
    ))
}

async fn list_advisories(
    _ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<FindingParams>,
) -> WebResult<Json<Value>> {
    let page = api(state
        .app
        .store
        .list_advisories(
            p.limit.unwrap_or(100).clamp(1, 10_000),
            p.offset.unwrap_or(0),
        )
        .await
        .map_err(WebError::from))?;
    Ok(Json(json!({"items": page.items, "total": page.total})))
}

fn api<T>(r: Result<T, WebError>) -> Result<T, WebError> {
    r.map_err(WebError::json)
}

fn csrf(ctx: &Ctx, headers: &HeaderMap) -> WebResult<()> {
    ctx.check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
}

async fn me(ctx: Ctx) -> Json<Value> {
    Json(json!({"user": ctx.user}))
}

#[derive(Deserialize, Default)]
pub struct ApiListParams {
    #[serde(flatten)]
    pub list: ListParams,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

async fn list_devices(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<ApiListParams>,
) -> WebResult<Json<Value>> {
    let mut q = p.list.to_query(&ctx, p.limit.unwrap_or(50));
    if let Some(o) = p.offset {
        q.offset = o;
    }
    let page = api(state
        .app
        .store
        .list_devices(&q)
        .await
        .map_err(WebError::from))?;
    let items: Vec<Device> = page
        .items
        .into_iter()
        .map(|d| policy::redact_device(&ctx.user, d))
        .collect();
    Ok(Json(
        json!({"items": items, "total": page.total, "limit": q.clone().clamped().limit, "offset": q.offset.max(0)}),
    ))
}

async fn load(state: &AppState, ctx: &Ctx, id: i64) -> WebResult<Device> {
    let d = api(state.app.store.get_device(id).await.map_err(WebError::from))?
        .ok_or_else(|| WebError::not_found().json())?;
    if !policy::can_view_device(&ctx.user, &d) {
        return Err(WebError::not_found().json());
    }
    Ok(d)
}

async fn get_device(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Json<Device>> {
    let d = load(&state, &ctx, id).await?;
    Ok(Json(policy::redact_device(&ctx.user, d)))
}

async fn device_history(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Json<Value>> {
    let d = load(&state, &ctx, id).await?;
    let mut h = api(state
        .app
        .store
        .device_history(id)
        .await
        .map_err(WebError::from))?;
    policy::redact_history(&ctx.user, &d, &mut h);
    Ok(Json(json!({"items": h, "total": h.len()})))
}

/// The body of POST and PUT: the device's fields, plus the version the client last saw (optional).
fn parse_fields(state: &AppState, body: &Bytes) -> WebResult<(DeviceFields, Option<i64>)> {
    if body.len() > MAX_JSON_BODY {
        return Err(WebError::bad_request(format!("body over {MAX_JSON_BODY} bytes")).json());
    }
    let mut value: Value = serde_json::from_slice(body).map_err(|e| {
        WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
            e.to_string(),
        )
        .json()
    })?;
    let version = value.get("version").and_then(Value::as_i64);
    if let Some(obj) = value.as_object_mut() {
        for k in ["id", "version", "created_at", "updated_at", "deleted"] {
            obj.remove(k);
        }
    }
    let f: DeviceFields = serde_json::from_value(value).map_err(|e| {
        WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_device",
            e.to_string(),
        )
        .json()
    })?;
    let f = validate(f).map_err(|errors| {
        WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_device",
            errors.join("; "),
        )
        .json()
    })?;
    Ok((state.app.normalise(f), version))
}

/// The same rules as the HTML form: name required; IP, MAC and dates in normal form.
pub fn validate(mut f: DeviceFields) -> Result<DeviceFields, Vec<String>> {
    let mut errors = Vec::new();
    if f.name.trim().is_empty() {
        errors.push("name is required".to_string());
    }
    if let Some(ip) = f.ip.as_deref().filter(|s| !s.trim().is_empty()) {
        match normalize::normalize_ip(ip) {
            Some(v) => f.ip = Some(v),
            None => errors.push(format!("ip: not an IP address: {ip}")),
        }
    }
    if let Some(mac) = f.mac.as_deref().filter(|s| !s.trim().is_empty()) {
        match normalize::normalize_mac(mac) {
            Some(v) => f.mac = Some(v),
            None => errors.push(format!("mac: not a MAC address: {mac}")),
        }
    }
    for (name, slot) in [
        ("install_date", &mut f.install_date),
        ("eol_date", &mut f.eol_date),
        ("eos_date", &mut f.eos_date),
    ] {
        if let Some(d) = slot.as_deref().filter(|s| !s.trim().is_empty()) {
            match normalize::normalize_date(d) {
                Some(v) => *slot = Some(v),
                None => errors.push(format!("{name}: not a date: {d}")),
            }
        }
    }
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(errors)
    }
}

async fn create_device(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> WebResult<Response> {
    api(csrf(&ctx, &headers))?;
    let (fields, _) = parse_fields(&state, &body)?;
    if !policy::can_create_devices(&ctx.user)
        || !policy::can_edit_in_department(&ctx.user, fields.department.as_deref())
    {
        return Err(WebError::forbidden().json());
    }
    let d = api(state
        .app
        .store
        .create_device(&ctx.actor(), fields)
        .await
        .map_err(WebError::from))?;
    state
        .app
        .rematch_after_ledger_change(&ctx.actor(), Some(vec![d.id]))
        .await;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

async fn update_device(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> WebResult<Json<Device>> {
    api(csrf(&ctx, &headers))?;
    let current = load(&state, &ctx, id).await?;
    if !policy::can_edit_device(&ctx.user, &current) {
        return Err(WebError::forbidden().json());
    }
    let (fields, version) = parse_fields(&state, &body)?;
    if !policy::can_edit_in_department(&ctx.user, fields.department.as_deref()) {
        return Err(WebError::forbidden().json());
    }
    let d = api(state
        .app
        .store
        .update_device(&ctx.actor(), id, fields, version)
        .await
        .map_err(WebError::from))?;
    state
        .app
        .rematch_after_ledger_change(&ctx.actor(), Some(vec![id]))
        .await;
    Ok(Json(d))
}

async fn delete_device(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> WebResult<StatusCode> {
    api(csrf(&ctx, &headers))?;
    let current = load(&state, &ctx, id).await?;
    if !policy::can_edit_device(&ctx.user, &current) {
        return Err(WebError::forbidden().json());
    }
    api(state
        .app
        .store
        .delete_device(&ctx.actor(), id)
        .await
        .map_err(WebError::from))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
pub struct AuditParams {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

async fn audit(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<AuditParams>,
) -> WebResult<Json<Value>> {
    if !policy::can_view_audit(&ctx.user) {
        return Err(WebError::forbidden().json());
    }
    let page = api(state
        .app
        .store
        .list_audit(&AuditQuery {
            entity: p.entity,
            entity_id: p.entity_id,
            limit: p.limit.unwrap_or(100),
            offset: p.offset.unwrap_or(0),
        })
        .await
        .map_err(WebError::from))?;
    Ok(Json(json!({"items": page.items, "total": page.total})))
}

async fn openapi(_ctx: Ctx) -> Json<Value> {
    Json(openapi_document())
}

/// The OpenAPI 3.1 description of this API, with the error statuses every operation can answer.
pub fn openapi_document() -> Value {
    let mut doc = openapi_operations();
    let err = json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    // Any operation: bad input (400, NUL text), no or bad credentials (401), a role without the
    // permission (403), too many attempts (429), a server fault (500). With a body also: too large
    // (413), the wrong content type (415), a body that does not parse or validate (422).
    let always = ["400", "401", "403", "429", "500"];
    let with_body = ["413", "415", "422"];
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            let has_id = item.contains_key("parameters");
            for (method, op) in item.iter_mut() {
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                let body = op.get("requestBody").is_some() || method != "get";
                let Some(responses) = op["responses"].as_object_mut() else {
                    continue;
                };
                let extra = always
                    .iter()
                    .chain(if body { &with_body[..] } else { &[][..] })
                    .chain(if has_id { &["404"][..] } else { &[][..] });
                for status in extra {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| err.clone());
                }
            }
        }
    }
    doc
}

fn openapi_operations() -> Value {
    let err = json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let text = json!({"type": ["string", "null"]});
    let mut device_props = serde_json::Map::new();
    for (name, _) in crate::pages::devices::FORM_FIELDS {
        device_props.insert((*name).to_string(), text.clone());
    }
    device_props.insert("name".into(), json!({"type": "string", "minLength": 1}));
    device_props.insert(
        "remote_line".into(),
        json!({"enum": ["yes", "no", "unknown"]}),
    );
    device_props.insert(
        "status".into(),
        json!({"enum": ["active", "inactive", "disposed"]}),
    );
    device_props.insert("criticality".into(), json!({"enum": ["life_sustaining", "patient_connected", "diagnostic", "non_clinical", null]}));
    device_props.insert(
        "device_class".into(),
        json!({"enum": ["I", "II", "III", "IV", null]}),
    );
    device_props.insert(
        "custom".into(),
        json!({"type": "object", "additionalProperties": {"type": "string"}}),
    );
    let fields = json!({"type": "object", "required": ["name"], "properties": device_props});
    let list_params: Vec<Value> = ["q", "department", "status", "criticality", "remote_line", "sort", "dir"]
        .iter()
        .map(|n| json!({"name": n, "in": "query", "schema": {"type": "string"}}))
        .chain([
            json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}}),
            json!({"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}),
        ])
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {"title": "mdsec API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Medical-device ledger of a hospital. Authenticate with `Authorization: Bearer <token>` (mdsec token create)."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
                "DeviceFields": fields,
                "Device": {"allOf": [{"$ref": "#/components/schemas/DeviceFields"}, {"type": "object", "properties": {
                    "id": {"type": "integer"}, "version": {"type": "integer"}, "created_at": {"type": "string"},
                    "updated_at": {"type": "string"}, "deleted": {"type": "boolean"}}}]},
                "FindingUpdate": {"type": "object", "additionalProperties": false, "properties": {
                    "status": {"enum": mdsec_store::FINDING_STATES},
                    "owner": {"type": ["string", "null"]},
                    "due_date": {"type": ["string", "null"], "format": "date"},
                    "comment": {"type": ["string", "null"]},
                    "compensating_controls": {"type": ["string", "null"]}}},
                "DevicePage": {"type": "object", "required": ["items", "total"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Device"}}, "total": {"type": "integer"},
                    "limit": {"type": "integer"}, "offset": {"type": "integer"}}}
            }
        },
        "paths": {
            "/devices": {
                "get": {"summary": "List devices (search, filter, sort, paginate)", "parameters": list_params,
                        "responses": {"200": {"description": "a page of devices", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DevicePage"}}}}, "401": err}},
                "post": {"summary": "Create a device", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeviceFields"}}}},
                         "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Device"}}}}, "401": err, "403": err, "422": err}}
            },
            "/devices/{id}": {
                "parameters": [id_param],
                "get": {"summary": "One device", "responses": {"200": {"description": "the device", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Device"}}}}, "404": err}},
                "put": {"summary": "Replace a device's fields; send `version` to refuse concurrent edits", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeviceFields"}}}},
                        "responses": {"200": {"description": "updated", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Device"}}}}, "403": err, "404": err, "409": err, "422": err}},
                "delete": {"summary": "Soft-delete a device (history is kept)", "responses": {"204": {"description": "deleted"}, "403": err, "404": err}}
            },
            "/devices/{id}/history": {"parameters": [id_param], "get": {"summary": "Change history of a device", "responses": {"200": {"description": "history entries"}, "404": err}}},
            "/audit": {"get": {"summary": "Audit log (admin, information-systems officer, auditor)", "responses": {"200": {"description": "audit entries"}, "403": err}}},
            "/act-now": {"get": {"summary": "Devices with open findings by priority, with reasons and findings", "responses": {"200": {"description": "devices"}}}},
            "/findings": {"get": {"summary": "Findings (filters: device_id, advisory_id, status, department, open)", "responses": {"200": {"description": "findings"}}}},
            "/findings/{id}": {"parameters": [id_param], "get": {"summary": "One finding", "responses": {"200": {"description": "finding"}, "404": err}},
                "patch": {"summary": "Change a finding's lifecycle (status, owner, due_date, comment, compensating_controls); audited",
                          "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FindingUpdate"}}}},
                          "responses": {"200": {"description": "finding"}, "403": err, "404": err}}},
            "/models": {"get": {"summary": "Device models with SBOM/MDS2 counts", "responses": {"200": {"description": "models"}}}},
            "/models/attach": {"post": {"summary": "Attach an SBOM (CycloneDX/SPDX) or MDS2 form (the request body) to a device model and re-match its devices (officers; a manufacturer for its own products)", "parameters": [
                {"name": "kind", "in": "query", "required": true, "schema": {"enum": ["sbom", "mds2"]}},
                {"name": "manufacturer", "in": "query", "schema": {"type": "string"}},
                {"name": "model", "in": "query", "required": true, "schema": {"type": "string"}},
                {"name": "version", "in": "query", "schema": {"type": "string"}},
                {"name": "file_name", "in": "query", "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                "responses": {"200": {"description": "what the attach changed"}, "403": err, "422": err}}},
            "/models/{id}": {"parameters": [id_param], "get": {"summary": "A device model with its SBOMs, components and MDS2 forms", "responses": {"200": {"description": "model"}, "404": err}}},
            "/advisories": {"get": {"summary": "Imported advisories", "responses": {"200": {"description": "advisories"}}}},
            "/alerts": {"get": {"summary": "Alerts, newest first (filters: status open|acknowledged|all, kind, device_id, limit, offset); a department user gets its department's, an executive the total only, a manufacturer 403", "responses": {"200": {"description": "a page of alerts"}, "400": err, "403": err}}},
            "/alerts/{id}": {"parameters": [id_param], "get": {"summary": "One alert", "responses": {"200": {"description": "alert"}, "403": err, "404": err}}},
            "/alerts/{id}/acknowledge": {"parameters": [id_param], "post": {"summary": "Acknowledge an alert, optional JSON body {\"note\": \"...\"}; audited", "responses": {"200": {"description": "alert"}, "403": err, "404": err}}},
            "/reconcile": {"get": {"summary": "Three-way difference of observations and ledger (query: days, default 30)", "responses": {"200": {"description": "matched (with conflicts), unknown, not_seen, summary"}, "403": err}}},
            "/me": {"get": {"summary": "The authenticated user", "responses": {"200": {"description": "user"}}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}}
        }
    })
}
