//! The device ledger pages: list (search, filter, sort, paginate), view with history, create, edit,
//! delete.

use super::layout;
use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::i18n::Lang;
use crate::{policy, AppState};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use mdsec_domain::normalize;
use mdsec_domain::{Criticality, DeviceClass, DeviceFields, DeviceStatus, RemoteLine};
use mdsec_store::{Device, DeviceQuery, DeviceSort, HistoryEntry};
use serde::Deserialize;
use std::collections::BTreeMap;

pub const PAGE_SIZE: i64 = 50;

/// Query string of the device list.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub q: Option<String>,
    pub department: Option<String>,
    pub status: Option<String>,
    pub criticality: Option<String>,
    pub remote_line: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<i64>,
}

impl ListParams {
    pub fn to_query(&self, ctx: &Ctx, limit: i64) -> DeviceQuery {
        let page = self.page.unwrap_or(1).max(1);
        // Sorting by address would reveal the order of addresses the user may not see.
        let sort = self
            .sort
            .as_deref()
            .and_then(DeviceSort::from_code)
            .filter(|s| *s != DeviceSort::Ip || policy::sees_all_network_detail(&ctx.user))
            .unwrap_or_default();
        DeviceQuery {
            text: self.q.clone(),
            address_search: policy::address_search(&ctx.user),
            department: self.department.clone(),
            status: self.status.clone(),
            criticality: self.criticality.clone(),
            remote_line: self.remote_line.clone(),
            manufacturer: policy::manufacturer_scope(&ctx.user),
            eos_before: None,
            sort,
            descending: self.dir.as_deref() == Some("desc"),
            limit,
            offset: (page - 1).saturating_mul(limit),
        }
    }

    /// This list's URL with some parameters replaced.
    fn url_with(&self, overrides: &[(&str, String)]) -> String {
        let mut params: BTreeMap<&str, String> = BTreeMap::new();
        for (k, v) in [
            ("q", &self.q),
            ("department", &self.department),
            ("status", &self.status),
            ("criticality", &self.criticality),
            ("remote_line", &self.remote_line),
            ("sort", &self.sort),
            ("dir", &self.dir),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                params.insert(k, v.clone());
            }
        }
        for (k, v) in overrides {
            params.insert(k, v.clone());
        }
        let qs: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::context::urlencode(v)))
            .collect();
        format!("/devices?{}", qs.join("&"))
    }
}

pub fn status_label(l: Lang, s: DeviceStatus) -> &'static str {
    l.t(&format!("status.{}", s.code()))
}
pub fn criticality_label(l: Lang, c: Criticality) -> &'static str {
    l.t(&format!("criticality.{}", c.code()))
}
pub fn remote_label(l: Lang, r: RemoteLine) -> &'static str {
    l.t(&format!("remote.{}", r.code()))
}

fn select(
    name: &str,
    label: &str,
    any: &str,
    current: Option<&str>,
    options: &[(String, String)],
) -> Markup {
    html! {
        label { (label)
            select name=(name) {
                option value="" { (any) }
                @for (value, text) in options {
                    option value=(value) selected[current == Some(value.as_str())] { (text) }
                }
            }
        }
    }
}

pub async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(p): Query<ListParams>,
) -> WebResult<Html<String>> {
    let l = ctx.lang;
    let store = &state.app.store;
    let page = store.list_devices(&p.to_query(&ctx, PAGE_SIZE)).await?;
    let departments = state.app.departments().await?;
    let current_page = p.page.unwrap_or(1).max(1);
    let pages = ((page.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let sort = p.sort.clone().unwrap_or_else(|| "management_number".into());
    let desc = p.dir.as_deref() == Some("desc");
    let columns = [
        "management_number",
        "name",
        "device_type",
        "manufacturer",
        "model",
        "department",
        "ip",
    ];
    let body = html! {
        div.pagehead {
            h1 { (l.t("devices.title")) }
            @if policy::can_create_devices(&ctx.user) {
                a.button href="/devices/new" { (l.t("devices.new")) }
            }
            @if policy::can_export(&ctx.user) {
                a.button.secondary href="/export?format=csv" { (l.t("devices.export_csv")) }
                a.button.secondary href="/export?format=xlsx" { (l.t("devices.export_xlsx")) }
            }
        }
        form.filters method="get" action="/devices" id="device-filter" {
            label { (l.t("devices.search"))
                input type="search" name="q" value=(p.q.clone().unwrap_or_default()) placeholder=(l.t("devices.search_placeholder"));
            }
            (select("department", l.field("department"), l.t("filter.any"), p.department.as_deref(),
                &departments.iter().map(|d| (d.clone(), d.clone())).collect::<Vec<_>>()))
            (select("status", l.field("status"), l.t("filter.any"), p.status.as_deref(),
                &DeviceStatus::ALL.iter().map(|s| (s.code().to_string(), status_label(l, *s).to_string())).collect::<Vec<_>>()))
            (select("criticality", l.field("criticality"), l.t("filter.any"), p.criticality.as_deref(),
                &Criticality::ALL.iter().map(|c| (c.code().to_string(), criticality_label(l, *c).to_string())).collect::<Vec<_>>()))
            (select("remote_line", l.field("remote_line"), l.t("filter.any"), p.remote_line.as_deref(),
                &RemoteLine::ALL.iter().map(|r| (r.code().to_string(), remote_label(l, *r).to_string())).collect::<Vec<_>>()))
            input type="hidden" name="sort" value=(sort);
            input type="hidden" name="dir" value=(if desc { "desc" } else { "asc" });
            button type="submit" { (l.t("filter.apply")) }
            a href="/devices" { (l.t("filter.clear")) }
        }
        p.count { (l.t("devices.count")) ": " strong #device-total { (page.total) } }
        table.devices #device-table {
            thead { tr {
                @for c in columns {
                    @let is_current = sort == c;
                    th { a href=(p.url_with(&[("sort", c.to_string()), ("dir", if is_current && !desc { "desc".into() } else { "asc".into() })]))
                        { (l.field(c)) @if is_current { (if desc { " ▼" } else { " ▲" }) } } }
                }
                th { (l.field("status")) }
                th { (l.field("eos_date")) }
            } }
            tbody {
                @for d in page.items.iter().map(|d| policy::redact_device(&ctx.user, d.clone())) {
                    tr {
                        td { a href={ "/devices/" (d.id) } { (d.fields.management_number.as_deref().unwrap_or("—")) } }
                        td.name { a href={ "/devices/" (d.id) } { (d.fields.name) } }
                        td { (d.fields.device_type.as_deref().unwrap_or("")) }
                        td { (manufacturer_display(&state, l, d.fields.manufacturer.as_deref())) }
                        td { (d.fields.model.as_deref().unwrap_or("")) }
                        td { (d.fields.department.as_deref().unwrap_or("")) }
                        td.mono { (d.fields.ip.as_deref().unwrap_or("")) }
                        td { span class={ "badge status-" (d.fields.status.code()) } { (status_label(l, d.fields.status)) } }
                        td { (d.fields.eos_date.as_deref().unwrap_or("")) }
                    }
                }
                @if page.items.is_empty() {
                    tr { td colspan="9" { (l.t("devices.none")) } }
                }
            }
        }
        nav.pager {
            @if current_page > 1 { a href=(p.url_with(&[("page", (current_page - 1).to_string())])) rel="prev" { (l.t("pager.prev")) } }
            span { (current_page) " / " (pages) }
            @if current_page < pages { a href=(p.url_with(&[("page", (current_page + 1).to_string())])) rel="next" { (l.t("pager.next")) } }
        }
    };
    Ok(layout(&ctx, l.t("devices.title"), body))
}

pub fn manufacturer_display(state: &AppState, l: Lang, m: Option<&str>) -> String {
    match (m, l) {
        (None, _) => String::new(),
        (Some(m), Lang::Ja) => state
            .app
            .manufacturer_ja(m)
            .unwrap_or_else(|| m.to_string()),
        (Some(m), Lang::En) => m.to_string(),
    }
}

async fn load(state: &AppState, ctx: &Ctx, id: i64) -> WebResult<Device> {
    let d = state
        .app
        .store
        .get_device(id)
        .await?
        .ok_or_else(WebError::not_found)?;
    if !policy::can_view_device(&ctx.user, &d) {
        return Err(WebError::not_found());
    }
    Ok(d)
}

fn history_table(state: &AppState, l: Lang, history: &[HistoryEntry]) -> Markup {
    let show = |field: &str, v: Option<&str>| {
        v.map(|v| display_value(state, l, field, v))
            .unwrap_or_else(|| "—".into())
    };
    html! {
        table.history #history {
            thead { tr { th { (l.t("history.at")) } th { (l.t("history.actor")) } th { (l.t("history.action")) } th { (l.t("history.changes")) } } }
            tbody {
                @for h in history {
                    tr {
                        td.mono { (h.at) }
                        td { (h.actor) }
                        td { (l.t(&format!("history.action.{}", h.action))) }
                        td { ul.changes {
                            @for c in &h.changes {
                                li { span.field { (field_label(l, &c.field)) } ": "
                                    del { (show(&c.field, c.before.as_deref())) } " → " ins { (show(&c.field, c.after.as_deref())) } }
                            }
                        } }
                    }
                }
            }
        }
    }
}

fn field_label(l: Lang, field: &str) -> String {
    match field.strip_prefix("custom.") {
        Some(custom) => custom.to_string(),
        None => l.field(field).to_string(),
    }
}

pub async fn show(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Html<String>> {
    let l = ctx.lang;
    let full = load(&state, &ctx, id).await?;
    let mut history = state.app.store.device_history(id).await?;
    policy::redact_history(&ctx.user, &full, &mut history);
    let findings_section = super::intel::device_section(&ctx, &state, &full).await?;
    let d = policy::redact_device(&ctx.user, full);
    let flat = mdsec_store::flatten(&d.fields);
    let can_edit = policy::can_edit_device(&ctx.user, &d);
    let body = html! {
        div.pagehead {
            h1 { (d.fields.name) }
            @if d.deleted { span.badge.status-disposed { (l.t("devices.deleted")) } }
            @if can_edit {
                a.button href={ "/devices/" (d.id) "/edit" } #edit-device { (l.t("devices.edit")) }
                form.inline method="post" action={ "/devices/" (d.id) "/delete" } data-confirm=(l.t("devices.confirm_delete")) {
                    input type="hidden" name="_csrf" value=(ctx.csrf());
                    button.danger type="submit" { (l.t("devices.delete")) }
                }
            }
        }
        dl.fields #device-fields {
            @for (name, _) in FORM_FIELDS {
                @if let Some(v) = flat.get(*name) {
                    dt { (l.field(name)) }
                    dd data-field=(name) { (display_value(&state, l, name, v)) }
                }
            }
            @for (k, v) in &d.fields.custom {
                dt { (k) } dd { (v) }
            }
        }
        (findings_section)
        h2 { (l.t("devices.history")) }
        (history_table(&state, l, &history))
    };
    Ok(layout(&ctx, &d.fields.name, body))
}

fn display_value(state: &AppState, l: Lang, name: &str, v: &str) -> String {
    match name {
        "status" => DeviceStatus::from_code(v).map(|s| status_label(l, s).to_string()),
        "criticality" => Criticality::from_code(v).map(|c| criticality_label(l, c).to_string()),
        "remote_line" => RemoteLine::from_code(v).map(|r| remote_label(l, r).to_string()),
        "device_class" => Some(format!("{} {v}", l.t("class.prefix"))),
        "manufacturer" => Some(manufacturer_display(state, l, Some(v))),
        _ => None,
    }
    .unwrap_or_else(|| v.to_string())
}

/// How each ledger field is edited.
#[derive(Clone, Copy)]
pub enum Input {
    Text,
    Date,
    Area,
    Status,
    Criticality,
    Class,
    Remote,
}

/// Every editable ledger field, in form order.
pub const FORM_FIELDS: &[(&str, Input)] = &[
    ("management_number", Input::Text),
    ("name", Input::Text),
    ("device_type", Input::Text),
    ("manufacturer", Input::Text),
    ("model", Input::Text),
    ("serial", Input::Text),
    ("software_version", Input::Text),
    ("department", Input::Text),
    ("location", Input::Text),
    ("ip", Input::Text),
    ("mac", Input::Text),
    ("os", Input::Text),
    ("protocols", Input::Text),
    ("purpose", Input::Text),
    ("remote_line", Input::Remote),
    ("remote_method", Input::Text),
    ("maintenance_contract", Input::Text),
    ("owner", Input::Text),
    ("install_date", Input::Date),
    ("eol_date", Input::Date),
    ("eos_date", Input::Date),
    ("udi_di", Input::Text),
    ("network_segment", Input::Text),
    ("device_class", Input::Class),
    ("status", Input::Status),
    ("criticality", Input::Criticality),
    ("notes", Input::Area),
];

fn device_form(
    ctx: &Ctx,
    action: &str,
    values: &BTreeMap<String, String>,
    errors: &[String],
    version: Option<i64>,
) -> Markup {
    let l = ctx.lang;
    let v = |k: &str| values.get(k).cloned().unwrap_or_default();
    let opts = |items: Vec<(String, String)>, current: String, required: bool| {
        html! {
            @if !required { option value="" { "—" } }
            @for (value, text) in items { option value=(value) selected[current == value] { (text) } }
        }
    };
    html! {
        @if !errors.is_empty() {
            div.errors role="alert" { ul { @for e in errors { li { (e) } } } }
        }
        form.device method="post" action=(action) #device-form {
            input type="hidden" name="_csrf" value=(ctx.csrf());
            @if let Some(ver) = version { input type="hidden" name="_version" value=(ver); }
            div.grid {
                @for (name, input) in FORM_FIELDS {
                    label {
                        span { (l.field(name)) @if *name == "name" { " *" } }
                        @match input {
                            Input::Text => input type="text" name=(name) value=(v(name)) required[*name == "name"] maxlength="500";
                            Input::Date => input type="text" name=(name) value=(v(name)) placeholder="2024-04-01 / R6.4.1";
                            Input::Area => textarea name=(name) rows="3" { (v(name)) },
                            Input::Status => select name=(name) { (opts(DeviceStatus::ALL.iter().map(|s| (s.code().into(), status_label(l, *s).into())).collect(), v(name), true)) },
                            Input::Criticality => select name=(name) { (opts(Criticality::ALL.iter().map(|c| (c.code().into(), criticality_label(l, *c).into())).collect(), v(name), false)) },
                            Input::Class => select name=(name) { (opts(DeviceClass::ALL.iter().map(|c| (c.code().into(), format!("{} {}", l.t("class.prefix"), c.code()))).collect(), v(name), false)) },
                            Input::Remote => select name=(name) { (opts(RemoteLine::ALL.iter().map(|r| (r.code().into(), remote_label(l, *r).into())).collect(), v(name), true)) },
                        }
                    }
                }
                label.wide {
                    span { (l.t("devices.custom_fields")) }
                    textarea name="_custom" rows="3" placeholder=(l.t("devices.custom_placeholder")) { (v("_custom")) }
                }
            }
            button type="submit" #save-device { (l.t("form.save")) }
        }
    }
}

/// Form values of an existing device.
fn values_of(f: &DeviceFields) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = mdsec_store::flatten(f)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("custom."))
        .collect();
    m.insert(
        "_custom".into(),
        f.custom
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    m
}

/// Build device fields from a submitted form; every problem is listed, in the user's language.
pub fn fields_from_form(
    l: Lang,
    form: &BTreeMap<String, String>,
) -> Result<DeviceFields, Vec<String>> {
    let mut errors = Vec::new();
    let get = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut f = DeviceFields {
        management_number: get("management_number").map(|s| normalize::to_halfwidth(&s)),
        name: get("name").unwrap_or_default(),
        device_type: get("device_type"),
        manufacturer: get("manufacturer"),
        model: get("model").map(|s| normalize::to_halfwidth(&s)),
        serial: get("serial").map(|s| normalize::to_halfwidth(&s)),
        software_version: get("software_version").map(|s| normalize::to_halfwidth(&s)),
        department: get("department"),
        location: get("location"),
        os: get("os"),
        protocols: get("protocols"),
        purpose: get("purpose"),
        remote_method: get("remote_method"),
        maintenance_contract: get("maintenance_contract"),
        owner: get("owner"),
        udi_di: get("udi_di").map(|s| normalize::to_halfwidth(&s)),
        network_segment: get("network_segment"),
        notes: get("notes"),
        ..Default::default()
    };
    if f.name.is_empty() {
        errors.push(format!("{}: {}", l.field("name"), l.t("error.required")));
    }
    if let Some(ip) = get("ip") {
        match normalize::normalize_ip(&ip) {
            Some(v) => f.ip = Some(v),
            None => errors.push(format!(
                "{}: {} ({ip})",
                l.field("ip"),
                l.t("error.invalid")
            )),
        }
    }
    if let Some(mac) = get("mac") {
        match normalize::normalize_mac(&mac) {
            Some(v) => f.mac = Some(v),
            None => errors.push(format!(
                "{}: {} ({mac})",
                l.field("mac"),
                l.t("error.invalid")
            )),
        }
    }
    for (name, slot) in [
        ("install_date", &mut f.install_date),
        ("eol_date", &mut f.eol_date),
        ("eos_date", &mut f.eos_date),
    ] {
        if let Some(d) = get(name) {
            match normalize::normalize_date(&d) {
                Some(v) => *slot = Some(v),
                None => errors.push(format!(
                    "{}: {} ({d})",
                    l.field(name),
                    l.t("error.invalid_date")
                )),
            }
        }
    }
    f.status = get("status")
        .and_then(|s| DeviceStatus::from_code(&s))
        .unwrap_or_default();
    f.remote_line = get("remote_line")
        .and_then(|s| RemoteLine::from_code(&s))
        .unwrap_or_default();
    f.criticality = get("criticality").and_then(|s| Criticality::from_code(&s));
    f.device_class = get("device_class").and_then(|s| DeviceClass::from_code(&s));
    if let Some(custom) = get("_custom") {
        for line in custom.lines().filter(|l| !l.trim().is_empty()) {
            match line.split_once([':', '：']) {
                Some((k, v)) if !k.trim().is_empty() => {
                    f.custom.insert(k.trim().to_string(), v.trim().to_string());
                }
                _ => errors.push(format!(
                    "{}: {} ({line})",
                    l.t("devices.custom_fields"),
                    l.t("error.invalid")
                )),
            }
        }
    }
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(errors)
    }
}

pub async fn new_form(ctx: Ctx) -> WebResult<Html<String>> {
    if !policy::can_create_devices(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let mut values = BTreeMap::new();
    if let Some(d) = &ctx.user.department {
        values.insert("department".to_string(), d.clone());
    }
    let body = html! { h1 { (ctx.lang.t("devices.new")) } (device_form(&ctx, "/devices", &values, &[], None)) };
    Ok(layout(&ctx, ctx.lang.t("devices.new"), body))
}

fn form_map(form: Vec<(String, String)>) -> BTreeMap<String, String> {
    form.into_iter().collect()
}

pub async fn create(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let form = form_map(form);
    ctx.check_csrf(form.get("_csrf").map(String::as_str))?;
    let l = ctx.lang;
    let fields = match fields_from_form(l, &form) {
        Ok(f) => state.app.normalise(f),
        Err(errors) => {
            let body = html! { h1 { (l.t("devices.new")) } (device_form(&ctx, "/devices", &form, &errors, None)) };
            return Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                layout(&ctx, l.t("devices.new"), body),
            )
                .into_response());
        }
    };
    if !policy::can_edit_in_department(&ctx.user, fields.department.as_deref()) {
        return Err(WebError::forbidden());
    }
    let d = state.app.store.create_device(&ctx.actor(), fields).await?;
    state
        .app
        .rematch_after_ledger_change(&ctx.actor(), Some(vec![d.id]))
        .await;
    Ok(Redirect::to(&format!("/devices/{}", d.id)).into_response())
}

pub async fn edit_form(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Html<String>> {
    let d = load(&state, &ctx, id).await?;
    if !policy::can_edit_device(&ctx.user, &d) {
        return Err(WebError::forbidden());
    }
    let body = html! {
        h1 { (ctx.lang.t("devices.edit")) ": " (d.fields.name) }
        (device_form(&ctx, &format!("/devices/{id}"), &values_of(&d.fields), &[], Some(d.version)))
    };
    Ok(layout(&ctx, ctx.lang.t("devices.edit"), body))
}

pub async fn update(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let form = form_map(form);
    ctx.check_csrf(form.get("_csrf").map(String::as_str))?;
    let l = ctx.lang;
    let d = load(&state, &ctx, id).await?;
    if !policy::can_edit_device(&ctx.user, &d) {
        return Err(WebError::forbidden());
    }
    let version = form.get("_version").and_then(|v| v.parse().ok());
    let fields = match fields_from_form(l, &form) {
        Ok(f) => state.app.normalise(f),
        Err(errors) => {
            let body = html! { h1 { (l.t("devices.edit")) } (device_form(&ctx, &format!("/devices/{id}"), &form, &errors, version)) };
            return Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                layout(&ctx, l.t("devices.edit"), body),
            )
                .into_response());
        }
    };
    // Moving a device out of one's own department is an edit of the other department too.
    if !policy::can_edit_in_department(&ctx.user, fields.department.as_deref()) {
        return Err(WebError::forbidden());
    }
    state
        .app
        .store
        .update_device(&ctx.actor(), id, fields, version)
        .await?;
    state
        .app
        .rematch_after_ledger_change(&ctx.actor(), Some(vec![id]))
        .await;
    Ok(Redirect::to(&format!("/devices/{id}")).into_response())
}

pub async fn delete(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let form = form_map(form);
    ctx.check_csrf(form.get("_csrf").map(String::as_str))?;
    let d = load(&state, &ctx, id).await?;
    if !policy::can_edit_device(&ctx.user, &d) {
        return Err(WebError::forbidden());
    }
    state.app.store.delete_device(&ctx.actor(), id).await?;
    Ok(Redirect::to("/devices").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{parse_catalogue, EN, JA};

    /// Keys built at run time (field labels, enum labels, roles, history actions) exist in both languages.
    #[test]
    fn dynamic_keys_exist_in_both_languages() {
        let mut keys: Vec<String> = FORM_FIELDS
            .iter()
            .map(|(f, _)| format!("field.{f}"))
            .collect();
        keys.extend(
            DeviceStatus::ALL
                .iter()
                .map(|s| format!("status.{}", s.code())),
        );
        keys.extend(
            Criticality::ALL
                .iter()
                .map(|c| format!("criticality.{}", c.code())),
        );
        keys.extend(
            RemoteLine::ALL
                .iter()
                .map(|r| format!("remote.{}", r.code())),
        );
        keys.extend(
            mdsec_store::Role::ALL
                .iter()
                .map(|r| super::super::role_key(*r).to_string()),
        );
        keys.extend(
            ["create", "update", "delete", "import"]
                .iter()
                .map(|a| format!("history.action.{a}")),
        );
        for cat in [parse_catalogue(JA), parse_catalogue(EN)] {
            let missing: Vec<_> = keys
                .iter()
                .filter(|k| !cat.contains_key(k.as_str()))
                .collect();
            assert!(missing.is_empty(), "missing: {missing:?}");
        }
    }

    #[test]
    fn form_validation_lists_every_problem() {
        let form: BTreeMap<String, String> =
            [("ip", "999.1.1.1"), ("mac", "xx"), ("eos_date", "someday")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let errors = fields_from_form(Lang::En, &form).unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}"); // name, ip, mac, date
        let ok: BTreeMap<String, String> = [
            ("name", "輸液ポンプ"),
            ("mac", "00-1A-2B-3C-4D-5E"),
            ("eos_date", "R8.3.31"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let f = fields_from_form(Lang::Ja, &ok).unwrap();
        assert_eq!(f.mac.as_deref(), Some("00:1a:2b:3c:4d:5e"));
        assert_eq!(f.eos_date.as_deref(), Some("2026-03-31"));
    }
}
