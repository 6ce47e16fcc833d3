//! The hospital-facing profile derived from an MDS2 form. Each field names the question(s) it is read
//! from, in order of preference; the first present, non-blank answer wins and is kept as evidence.
//! Question ids follow the HN 1-2019 form; HN 1-2013 rows are mapped only where the 2013 question
//! asks the same thing (first question of ALOF, AUDT, DTBK, EMRG, MLDP, STCF).

use crate::{Answer, Mds2Answer, Mds2Edition};
use serde::Serialize;

/// One profile field: the normalised answer, its raw text and note, and the question it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileAnswer {
    pub answer: Answer,
    pub raw: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub question_id: String,
}

impl ProfileAnswer {
    pub fn is_yes(&self) -> bool {
        self.answer == Answer::Yes
    }
    pub fn is_no(&self) -> bool {
        self.answer == Answer::No
    }
}

macro_rules! profile {
    ($( $(#[$doc:meta])* $field:ident : [$($q2019:literal),*] [$($q2013:literal),*] ),* $(,)?) => {
        /// What a hospital needs to know about a device model, read from its MDS2. `None` = unknown
        /// (question absent from the form, or left blank).
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        pub struct DeviceModelSecurityProfile {
            pub edition: Option<Mds2Edition>,
            $( $(#[$doc])* #[serde(skip_serializing_if = "Option::is_none")] pub $field: Option<ProfileAnswer>, )*
        }

        impl DeviceModelSecurityProfile {
            /// `(field name, HN 1-2019 question ids, HN 1-2013 section/question)` for every field.
            pub const SOURCES: &'static [(&'static str, &'static [&'static str], &'static [&'static str])] =
                &[$( (stringify!($field), &[$($q2019),*], &[$($q2013),*]) ),*];

            /// Number of fields the form answered.
            pub fn known_fields(&self) -> usize {
                0 $( + self.$field.is_some() as usize )*
            }
        }

        pub(crate) fn derive(edition: Mds2Edition, answers: &[Mds2Answer]) -> DeviceModelSecurityProfile {
            DeviceModelSecurityProfile {
                edition: Some(edition),
                $( $field: match edition {
                    Mds2Edition::Hn1_2019 => pick(answers, &[$($q2019),*], false),
                    Mds2Edition::Hn1_2013 => pick(answers, &[$($q2013),*], true),
                }, )*
            }
        }
    };
}

/// First present, non-blank answer among `ids`. For HN 1-2013, ids are `SECTION-n` (the n-th question
/// of that section) and match answers whose id is `SECTION k-n`.
fn pick(answers: &[Mds2Answer], ids: &[&str], ed2013: bool) -> Option<ProfileAnswer> {
    ids.iter().find_map(|id| {
        let a = answers.iter().find(|a| {
            if ed2013 {
                match (id.split_once('-'), a.question_id.split_once(' ')) {
                    (Some((sec, n)), Some((asec, num))) => {
                        sec == asec && num.split_once('-').map(|(_, m)| m) == Some(n)
                    }
                    _ => false,
                }
            } else {
                a.question_id == *id
            }
        })?;
        (a.answer != Answer::Blank).then(|| ProfileAnswer {
            answer: a.answer,
            raw: a.raw.clone(),
            note: a.note.clone(),
            question_id: a.question_id.clone(),
        })
    })
}

profile! {
    /// DOC-1 manufacturer name.
    manufacturer: ["DOC-1"] [],
    /// DOC-2 device description.
    device_description: ["DOC-2"] [],
    /// DOC-3 device model.
    model: ["DOC-3"] [],
    /// DOC-4 document id.
    document_id: ["DOC-4"] [],
    /// DOC-7 document release date.
    release_date: ["DOC-7"] [],
    /// DOC-8 coordinated vulnerability disclosure programme.
    vulnerability_disclosure_programme: ["DOC-8"] [],
    /// DOC-11 software as a medical device.
    is_samd: ["DOC-11"] [],
    /// MPII-1 displays, transmits, stores or modifies personal information.
    handles_personal_data: ["MPII-1"] [],
    /// MPII-2.2 stores personal information persistently.
    stores_personal_data: ["MPII-2.2"] [],
    /// MPII-3.3 personal information on removable media.
    removable_media: ["MPII-3.3"] [],
    /// CONN-1 hardware connectivity (network interfaces).
    network_interfaces: ["CONN-1"] [],
    /// CONN-1.1 wireless connections.
    wireless: ["CONN-1.1"] [],
    /// CONN-1.1.1 Wi-Fi.
    wifi: ["CONN-1.1.1"] [],
    /// CONN-1.1.2 Bluetooth.
    bluetooth: ["CONN-1.1.2"] [],
    /// CONN-1.2.1 wired network (RJ45) ports.
    ethernet: ["CONN-1.2.1"] [],
    /// CONN-1.2.2 USB ports.
    usb: ["CONN-1.2.2"] [],
    /// CONN-6 communicates with systems outside the customer environment.
    external_communication: ["CONN-6"] [],
    /// CONN-8 needs an internet connection for its intended use.
    internet_required: ["CONN-8"] [],
    /// CONN-9 supports TLS.
    tls: ["CONN-9"] [],
    /// RMOT-1 remote service connections permitted.
    remote_service: ["RMOT-1"] [],
    /// RMOT-1.1 owner/operator initiates remote sessions.
    remote_owner_initiated: ["RMOT-1.1"] [],
    /// RMOT-1.2 indicator of an active remote session.
    remote_session_indicator: ["RMOT-1.2"] [],
    /// RMOT-1.3 patient data visible during a remote session.
    remote_patient_data_access: ["RMOT-1.3"] [],
    /// PAUT-1 unique user ids and passwords for all users and roles.
    unique_user_ids: ["PAUT-1"] [],
    /// PAUT-2 external authentication (LDAP, AD, OAuth).
    external_authentication: ["PAUT-2"] [],
    /// PAUT-4 default accounts listed in the documentation.
    default_accounts_documented: ["PAUT-4"] [],
    /// PAUT-5 all passwords can be changed (no hard-coded credentials).
    passwords_changeable: ["PAUT-5"] [],
    /// PAUT-8 multi-factor authentication.
    multi_factor_authentication: ["PAUT-8"] [],
    /// ALOF-1 automatic logoff / re-authentication after inactivity.
    auto_logoff: ["ALOF-1"] ["ALOF-1"],
    /// AUDT-1 audit logging.
    audit_log: ["AUDT-1"] ["AUDT-1"],
    /// AUDT-4.1.2 audit export to a SIEM (IHE ATNA).
    audit_export_siem: ["AUDT-4.1.2"] [],
    /// AUDT-7.1 time synchronisation (NTP).
    time_sync: ["AUDT-7.1"] [],
    /// EMRG-1 emergency ("break-glass") access.
    emergency_access: ["EMRG-1"] ["EMRG-1"],
    /// CSUP-2 contains an operating system.
    contains_os: ["CSUP-2"] [],
    /// CSUP-2.1 owner/operator can install OS patches (documented).
    owner_installs_patches: ["CSUP-2.1"] [],
    /// CSUP-2.2 patches only by the vendor or vendor-authorised service.
    vendor_installs_patches: ["CSUP-2.2"] [],
    /// CSUP-2.3 remote installation of patches.
    remote_patching: ["CSUP-2.3"] [],
    /// CSUP-2.4 third-party (e.g. Microsoft) security updates allowed without manufacturer approval.
    third_party_patches_without_approval: ["CSUP-2.4"] [],
    /// CSUP-11 process to assess device vulnerabilities and updates.
    vulnerability_process: ["CSUP-11"] [],
    /// CSUP-11.2 update review cycle.
    update_review_cycle: ["CSUP-11.2"] [],
    /// MLDP-2 supports anti-malware.
    anti_malware: ["MLDP-2"] ["MLDP-1"],
    /// MLDP-3 compensating controls when anti-malware cannot be installed.
    malware_compensating_controls: ["MLDP-3"] [],
    /// MLDP-4 application allow-listing.
    application_allowlisting: ["MLDP-4"] [],
    /// NAUT-2 network access control (firewall, allow-list).
    network_access_control: ["NAUT-2"] [],
    /// STCF-1 encryption at rest.
    encryption_at_rest: ["STCF-1"] ["STCF-1"],
    /// TXCF-2 personal information encrypted before transmission.
    encryption_in_transit: ["TXCF-2"] [],
    /// SAHD-1 hardened to an industry standard.
    hardening_standard: ["SAHD-1"] [],
    /// SAHD-3 software integrity checking.
    software_integrity: ["SAHD-3"] [],
    /// SAHD-8 unused ports and protocols disabled.
    unused_ports_disabled: ["SAHD-8"] [],
    /// SAHD-9 unused services disabled.
    unused_services_disabled: ["SAHD-9"] [],
    /// SAHD-11 prohibits boot from removable media.
    no_removable_media_boot: ["SAHD-11"] [],
    /// SAHD-15 (the official form writes `SHAD-15`) BIOS/bootloader access prevented.
    bootloader_protected: ["SAHD-15"] [],
    /// SBOM-1 SBOM available.
    sbom_available: ["SBOM-1"] [],
    /// SBOM-2 SBOM follows a standard.
    sbom_standard: ["SBOM-2"] [],
    /// SBOM-4 SBOM kept up to date.
    sbom_maintained: ["SBOM-4"] [],
    /// RDMP-1 secure development process (IEC 62304, ISO/IEC 27034…).
    secure_development: ["RDMP-1"] [],
    /// RDMP-3 software support dates and updates published.
    support_dates_published: ["RDMP-3"] [],
    /// RDMP-4 plan for third-party component end of life.
    third_party_eol_plan: ["RDMP-4"] [],
    /// DTBK-3 / DTBK-4 data backup (removable media, then remote).
    backup: ["DTBK-3", "DTBK-4"] ["DTBK-1"],
    /// SGUD-1 security documentation for the owner/operator.
    security_guide: ["SGUD-1"] [],
    /// SGUD-2 secure deletion instructions.
    secure_deletion: ["SGUD-2"] [],
}
