//! The ledger's device record (医療機器台帳の1行).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether a vendor's remote-maintenance line (リモート保守回線) reaches the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RemoteLine {
    Yes,
    No,
    #[default]
    Unknown,
}

/// Operational status (稼働 / 休止 / 廃棄).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    #[default]
    Active,
    Inactive,
    Disposed,
}

/// Japanese device class under the PMD Act (クラスI–IV).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DeviceClass {
    I,
    II,
    III,
    IV,
}

/// Clinical criticality: how directly a failure harms a patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    LifeSustaining,
    PatientConnected,
    Diagnostic,
    NonClinical,
}

macro_rules! code_enum {
    ($ty:ty { $($variant:ident => $code:literal),* $(,)? }) => {
        impl $ty {
            /// Every variant, in display order.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),*];
            /// Stable machine code used in the database, the API and URLs.
            pub fn code(self) -> &'static str {
                match self { $(<$ty>::$variant => $code),* }
            }
            /// Parse the stable machine code.
            pub fn from_code(s: &str) -> Option<Self> {
                match s { $($code => Some(<$ty>::$variant),)* _ => None }
            }
        }
    };
}
code_enum!(RemoteLine { Yes => "yes", No => "no", Unknown => "unknown" });
code_enum!(DeviceStatus { Active => "active", Inactive => "inactive", Disposed => "disposed" });
code_enum!(DeviceClass { I => "I", II => "II", III => "III", IV => "IV" });
code_enum!(Criticality {
    LifeSustaining => "life_sustaining",
    PatientConnected => "patient_connected",
    Diagnostic => "diagnostic",
    NonClinical => "non_clinical",
});

/// Everything the ledger knows about one device, as entered or imported.
///
/// Text fields are `None` when unknown; they are never empty strings (see [`DeviceFields::tidy`]).
/// Dates are ISO `YYYY-MM-DD`, MAC addresses `aa:bb:cc:dd:ee:ff`, as produced by [`crate::normalize`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceFields {
    /// 管理番号 — the hospital's own asset number; the primary key for matching imports.
    pub management_number: Option<String>,
    /// 機器名称
    pub name: String,
    /// 機器種別 (e.g. 生体情報モニタ, CT)
    pub device_type: Option<String>,
    /// 製造販売業者 — as canonicalised through the manufacturer alias table when known.
    pub manufacturer: Option<String>,
    /// 型式
    pub model: Option<String>,
    /// シリアル番号
    pub serial: Option<String>,
    /// ソフトウェア/ファームウェアバージョン
    pub software_version: Option<String>,
    /// 設置部署
    pub department: Option<String>,
    /// 設置場所
    pub location: Option<String>,
    pub ip: Option<String>,
    pub mac: Option<String>,
    pub os: Option<String>,
    /// 通信プロトコル/ポート, free text such as "DICOM 104/tcp, HL7 2575/tcp".
    pub protocols: Option<String>,
    /// 用途
    pub purpose: Option<String>,
    pub remote_line: RemoteLine,
    /// 接続方法 of the remote line (VPN, LTE router, …).
    pub remote_method: Option<String>,
    /// 保守契約
    pub maintenance_contract: Option<String>,
    /// 管理責任者 (person or department)
    pub owner: Option<String>,
    pub install_date: Option<String>,
    pub eol_date: Option<String>,
    pub eos_date: Option<String>,
    /// UDI-DI / GTIN
    pub udi_di: Option<String>,
    /// ネットワークセグメント / VLAN
    pub network_segment: Option<String>,
    pub device_class: Option<DeviceClass>,
    pub status: DeviceStatus,
    pub criticality: Option<Criticality>,
    pub notes: Option<String>,
    /// Columns the hospital keeps that mdsec has no field for; kept verbatim.
    pub custom: BTreeMap<String, String>,
}

impl DeviceFields {
    /// Trim every text field and turn empty strings into `None`, so equality means "same facts".
    pub fn tidy(mut self) -> Self {
        fn t(v: &mut Option<String>) {
            if let Some(s) = v {
                let trimmed = s.trim();
                if trimmed.is_empty() {
                    *v = None;
                } else if trimmed.len() != s.len() {
                    *v = Some(trimmed.to_string());
                }
            }
        }
        self.name = self.name.trim().to_string();
        for f in [
            &mut self.management_number,
            &mut self.device_type,
            &mut self.manufacturer,
            &mut self.model,
            &mut self.serial,
            &mut self.software_version,
            &mut self.department,
            &mut self.location,
            &mut self.ip,
            &mut self.mac,
            &mut self.os,
            &mut self.protocols,
            &mut self.purpose,
            &mut self.remote_method,
            &mut self.maintenance_contract,
            &mut self.owner,
            &mut self.install_date,
            &mut self.eol_date,
            &mut self.eos_date,
            &mut self.udi_di,
            &mut self.network_segment,
            &mut self.notes,
        ] {
            t(f);
        }
        self.custom.retain(|k, v| {
            *v = v.trim().to_string();
            !k.trim().is_empty() && !v.is_empty()
        });
        self
    }

    /// True when the end of support date is on or before `today` (ISO date).
    pub fn is_past_eos(&self, today: &str) -> bool {
        self.eos_date.as_deref().is_some_and(|d| d <= today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in Criticality::ALL {
            assert_eq!(Criticality::from_code(c.code()), Some(*c));
        }
        for s in DeviceStatus::ALL {
            assert_eq!(DeviceStatus::from_code(s.code()), Some(*s));
        }
        assert_eq!(DeviceClass::from_code("V"), None);
    }

    #[test]
    fn tidy_drops_blank_fields() {
        let d = DeviceFields {
            name: " 輸液ポンプ ".into(),
            model: Some("  ".into()),
            serial: Some(" A1 ".into()),
            ..Default::default()
        }
        .tidy();
        assert_eq!(d.name, "輸液ポンプ");
        assert_eq!(d.model, None);
        assert_eq!(d.serial.as_deref(), Some("A1"));
    }

    #[test]
    fn eos_compares_iso_dates() {
        let d = DeviceFields {
            eos_date: Some("2024-03-31".into()),
            ..Default::default()
        };
        assert!(d.is_past_eos("2024-03-31"));
        assert!(!d.is_past_eos("2024-03-30"));
    }
}
