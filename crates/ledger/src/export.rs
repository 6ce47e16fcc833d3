//! Ledger export: CSV (UTF-8 with BOM, formula-injection safe) and xlsx. Headings come from the
//! alias table, so an exported file imports back into the same records.

use crate::header::{Field, FIELDS};
use mdsec_domain::{Criticality, DeviceClass, DeviceFields, DeviceStatus, RemoteLine};
use std::collections::BTreeSet;

/// Language of headings and enumeration values in an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("xlsx export failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

fn remote_text(v: RemoteLine, lang: Lang) -> &'static str {
    match (lang, v) {
        (Lang::Ja, RemoteLine::Yes) => "有",
        (Lang::Ja, RemoteLine::No) => "無",
        (Lang::Ja, RemoteLine::Unknown) => "不明",
        (Lang::En, v) => v.code(),
    }
}

fn status_text(v: DeviceStatus, lang: Lang) -> &'static str {
    match (lang, v) {
        (Lang::Ja, DeviceStatus::Active) => "稼働",
        (Lang::Ja, DeviceStatus::Inactive) => "休止",
        (Lang::Ja, DeviceStatus::Disposed) => "廃棄",
        (Lang::En, v) => v.code(),
    }
}

fn class_text(v: DeviceClass, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("クラス{}", v.code()),
        Lang::En => v.code().to_string(),
    }
}

fn criticality_text(v: Criticality, lang: Lang) -> &'static str {
    match (lang, v) {
        (Lang::Ja, Criticality::LifeSustaining) => "生命維持",
        (Lang::Ja, Criticality::PatientConnected) => "患者接続",
        (Lang::Ja, Criticality::Diagnostic) => "診断",
        (Lang::Ja, Criticality::NonClinical) => "非臨床",
        (Lang::En, v) => v.code(),
    }
}

fn field_text(d: &DeviceFields, f: Field, lang: Lang) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    match f {
        Field::ManagementNumber => o(&d.management_number),
        Field::Name => d.name.clone(),
        Field::DeviceType => o(&d.device_type),
        Field::Manufacturer => o(&d.manufacturer),
        Field::Model => o(&d.model),
        Field::Serial => o(&d.serial),
        Field::SoftwareVersion => o(&d.software_version),
        Field::Department => o(&d.department),
        Field::Location => o(&d.location),
        Field::Ip => o(&d.ip),
        Field::Mac => o(&d.mac),
        Field::Os => o(&d.os),
        Field::Protocols => o(&d.protocols),
        Field::Purpose => o(&d.purpose),
        Field::RemoteLine => remote_text(d.remote_line, lang).to_string(),
        Field::RemoteMethod => o(&d.remote_method),
        Field::MaintenanceContract => o(&d.maintenance_contract),
        Field::Owner => o(&d.owner),
        Field::InstallDate => o(&d.install_date),
        Field::EolDate => o(&d.eol_date),
        Field::EosDate => o(&d.eos_date),
        Field::UdiDi => o(&d.udi_di),
        Field::NetworkSegment => o(&d.network_segment),
        Field::DeviceClass => d
            .device_class
            .map(|c| class_text(c, lang))
            .unwrap_or_default(),
        Field::Status => status_text(d.status, lang).to_string(),
        Field::Criticality => d
            .criticality
            .map(|c| criticality_text(c, lang).to_string())
            .unwrap_or_default(),
        Field::Notes => o(&d.notes),
    }
}

/// Headings and rows as text: fixed fields first, then every custom key used by any device.
fn table(
    devices: &[DeviceFields],
    lang: Lang,
) -> (Vec<String>, impl Iterator<Item = Vec<String>> + '_) {
    let custom: Vec<String> = devices
        .iter()
        .flat_map(|d| d.custom.keys())
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut headings: Vec<String> = FIELDS
        .iter()
        .map(|s| if lang == Lang::Ja { s.ja } else { s.en }.to_string())
        .collect();
    headings.extend(custom.iter().cloned());
    let rows = devices.iter().map(move |d| {
        let mut row: Vec<String> = FIELDS
            .iter()
            .map(|s| field_text(d, s.field, lang))
            .collect();
        row.extend(
            custom
                .iter()
                .map(|k| d.custom.get(k).cloned().unwrap_or_default()),
        );
        row
    });
    (headings, rows)
}

/// A cell a spreadsheet would read as a formula gets a leading `'` (CSV injection).
pub fn guard_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// CSV in UTF-8 with a byte-order mark and CRLF line ends, as Excel expects.
pub fn write_csv(devices: &[DeviceFields], lang: Lang) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let (headings, rows) = table(devices, lang);
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        // Writing into a Vec cannot fail; a failure would only lose rows, never panic.
        let _ = w.write_record(headings.iter().map(|h| guard_cell(h).into_owned()));
        for row in rows {
            let _ = w.write_record(row.iter().map(|c| guard_cell(c).into_owned()));
        }
        let _ = w.flush();
    }
    out
}

/// An xlsx workbook with one sheet (台帳 / Ledger), bold frozen headings, every cell as text.
pub fn write_xlsx(devices: &[DeviceFields], lang: Lang) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(if lang == Lang::Ja { "台帳" } else { "Ledger" })?;
    let bold = Format::new().set_bold();
    let (headings, rows) = table(devices, lang);
    for (c, h) in headings.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in rows.enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, v)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(wb.save_to_buffer()?)
}
