//! MDS2 forms written here in the official HN 1-2019 layout (no filled form is public), plus an
//! HN 1-2013 form and hostile containers.

use mdsec_mds2::*;
use rust_xlsxwriter::Workbook;
use std::io::Write;

/// (id, question, answer, note reference).
type Row = (&'static str, &'static str, &'static str, &'static str);

/// Rows of a filled HN 1-2019 form, grouped by section title.
const SECTIONS: &[(&str, &[Row])] = &[
    (
        "MANUFACTURER DISCLOSURE STATEMENT FOR MEDICAL DEVICE SECURITY (MDS2)",
        &[
            ("DOC-1", "Manufacturer Name", "Acme Medical Systems", ""),
            ("DOC-2", "Device Description", "Bedside patient monitor", ""),
            ("DOC-3", "Device Model", "PM-9000", ""),
            ("DOC-4", "Document ID", "MDS2-PM9000-r3", ""),
            ("DOC-5", "Manufacturer Contact Information", "psirt@acme.example", ""),
            ("DOC-6", "Intended use of device in network-connected environment:", "Central station monitoring", ""),
            ("DOC-7", "Document Release Date", "2024-05-01", ""),
            ("DOC-8", "Coordinated Vulnerability Disclosure: Does the manufacturer have a vulnerability disclosure program for this device?", "Yes", ""),
            ("DOC-9", "ISAO: Is the manufacturer part of an Information Sharing and Analysis Organization?", "Yes", ""),
            ("DOC-10", "Diagram: Is a network or data flow diagram available that indicates connections to other system components or expected external resources?", "Yes", ""),
            ("DOC-11", "SaMD: Is the device Software as a Medical Device (i.e. software-only, no hardware)?", "No", ""),
            ("DOC-11.1", "Does the SaMD contain an operating system?", "N/A", ""),
        ],
    ),
    (
        "MANAGEMENT OF PERSONALLY IDENTIFIABLE INFORMATION",
        &[
            ("MPII-1", "Can this device display, transmit, store, or modify personally identifiable information (e.g. electronic Protected Health Information (ePHI))?", "Yes", ""),
            ("MPII-2", "Does the device maintain personally identifiable information?", "Yes", ""),
            ("MPII-2.2", "Does the device store personally identifiable information persistently on internal media?", "Yes, up to 72 hours of trends", ""),
            ("MPII-3", "Does the device have mechanisms used for the transmitting, importing/exporting of personally identifiable information?", "Yes", ""),
            ("MPII-3.3", "Does the device retrieve personally identifiable information from or record personally identifiable information to removable media?", "No", ""),
        ],
    ),
    (
        "AUTOMATIC LOGOFF (ALOF) The device's ability to prevent access and misuse by unauthorized users if device is left idle for a period of time.",
        &[
            ("ALOF-1", "Can the device be configured to force reauthorization of logged-in user(s) after a predetermined length of inactivity (e.g., auto-logoff, session lock, password protected screen saver)?", "Yes", ""),
            ("ALOF-2", "Is the length of inactivity time before auto-logoff/screen lock user or administrator configurable?", "See Note", "Note 1"),
        ],
    ),
    (
        "AUDIT CONTROLS (AUDT) The ability to reliably audit activity on the device.",
        &[
            ("AUDT-1", "Can the medical device create additional audit logs or reports beyond standard operating system logs?", "Yes", ""),
            ("AUDT-2", "Other than the USER ID, does the audit log record the following events?", "", ""),
            ("AUDT-2.8", "Remote or on-site support?", "Yes", ""),
            ("AUDT-2.8.1", "Remote service activity?", "Yes", ""),
            ("AUDT-4.1.2", "Via IHE Audit Trail and Node Authentication (ATNA) profile to SIEM?", "No", ""),
            ("AUDT-7.1", "Can date and time be synchronized by Network Time Protocol (NTP) or equivalent time source?", "Yes", ""),
        ],
    ),
    (
        "CYBER SECURITY PRODUCT UPGRADES (CSUP) The ability of on-site service staff, remote service staff, or authorized customer staff to install/upgrade device's security patches.",
        &[
            ("CSUP-1", "Does the device contain any software or firmware which may require security updates during its operational life?", "Yes", ""),
            ("CSUP-2", "Does the device contain an Operating System? If yes, complete 2.1-2.4.", "Yes", ""),
            ("CSUP-2.1", "Does the device documentation provide instructions for owner/operator installation of patches or software updates?", "No", ""),
            ("CSUP-2.2", "Does the device require vendor or vendor-authorized service to install patches or software updates?", "Yes", ""),
            ("CSUP-2.3", "Does the device have the capability to receive remote installation of patches or software updates?", "Yes", ""),
            ("CSUP-2.4", "Does the medical device manufacturer allow security updates from any third-party manufacturers (e.g., Microsoft) to be installed without approval from the manufacturer?", "No", ""),
            ("CSUP-11", "Does the manufacturer have a process in place to assess device vulnerabilities and updates?", "Yes", ""),
            ("CSUP-11.2", "Is there an update review cycle for the device?", "Yes, monthly", ""),
        ],
    ),
    (
        "DATA BACKUP AND DISASTER RECOVERY (DTBK)",
        &[
            ("DTBK-3", "Does the device have an integral data backup capability to removable media?", "", ""),
            ("DTBK-4", "Does the device have an integral data backup capability to remote storage?", "Yes", ""),
        ],
    ),
    (
        "EMERGENCY ACCESS (EMRG)",
        &[("EMRG-1", "Does the device incorporate an emergency access (i.e. \"break-glass\") feature?", "No", "")],
    ),
    (
        "MALWARE DETECTION/PROTECTION (MLDP)",
        &[
            ("MLDP-1", "Is the device capable of hosting executable software?", "Yes", ""),
            ("MLDP-2", "Does the device support the use of anti-malware software (or other anti-malware mechanism)? Provide details or reference in notes.", "No", "Note 2"),
            ("MLDP-3", "If the answer to MLDP-2 is NO, and anti-malware cannot be installed on the device, are other compensating controls in place or available?", "Yes", ""),
            ("MLDP-4", "Does the device employ application allowlisting that restricts the software and services that are permitted to be run on the device?", "Yes", ""),
        ],
    ),
    (
        "NODE AUTHENTICATION (NAUT)",
        &[("NAUT-2", "Are network access control mechanisms supported (E.g., does the device have an internal firewall, or use a network connection white list)?", "Yes", "")],
    ),
    (
        "CONNECTIVITY CAPABILITIES (CONN)",
        &[
            ("CONN-1", "Does the device have hardware connectivity capabilities?", "Yes", ""),
            ("CONN-1.1", "Does the device support wireless connections?", "Yes", ""),
            ("CONN-1.1.1", "Does the device support Wi-Fi?", "Yes", ""),
            ("CONN-1.1.2", "Does the device support Bluetooth?", "No", ""),
            ("CONN-1.2.1", "Does the device have available RJ45 Ethernet ports?", "Yes", ""),
            ("CONN-1.2.2", "Does the device have available USB ports?", "Yes, service only", ""),
            ("CONN-6", "Is the device able to communicate with other systems external to the customer environment (e.g., a service host)?", "Yes", ""),
            ("CONN-8", "Does the device require an internet connection for its intended use?", "No", ""),
            ("CONN-9", "Does the device support Transport Layer Security (TLS)?", "Yes", ""),
        ],
    ),
    (
        "PERSON AUTHENTICATION (PAUT)",
        &[
            ("PAUT-1", "Does the device support and enforce unique IDs and passwords for all users and roles (including service accounts)?", "Yes", ""),
            ("PAUT-2", "Is the device configurable to authenticate users through an external authentication service (e.g., MS Active Directory, NDS, LDAP, OAuth, etc.)?", "Yes", ""),
            ("PAUT-4", "Are all default accounts (e.g., technician service accounts, administrator accounts) listed in the documentation?", "N/A: no default accounts", ""),
            ("PAUT-5", "Can all passwords be changed?", "No", "Note 3"),
            ("PAUT-8", "Does the device support multi-factor authentication?", "No", ""),
        ],
    ),
    (
        "ROADMAP FOR THIRD PARTY COMPONENTS IN DEVICE LIFE CYCLE (RDMP)",
        &[
            ("RDMP-1", "Was a secure software development process, such as ISO/IEC 27034 or IEC 62304, followed during product development?", "Yes", ""),
            ("RDMP-3", "Does the manufacturer maintain a web page or other source of information on software support dates and updates?", "See Note", "Note 4"),
            ("RDMP-4", "Does the manufacturer have a plan for managing third-party component end-of-life?", "Yes", ""),
        ],
    ),
    (
        "SOFTWARE BILL OF MATERIALS (SBOM)",
        &[
            ("SBOM-1", "Is the SBOM for this product available?", "Yes", ""),
            ("SBOM-2", "Does the SBOM follow a standard or common method in describing software components?", "Yes, CycloneDX 1.5", ""),
            ("SBOM-4", "Is there an update process for the SBOM?", "Yes", ""),
        ],
    ),
    (
        "SYSTEM AND APPLICATION HARDENING (SAHD)",
        &[
            ("SAHD-1", "Is the device hardened in accordance with any industry standards?", "Yes", ""),
            ("SAHD-3", "Does the device employ any mechanisms for software integrity checking", "Yes", ""),
            ("SAHD-8", "Are all communication ports and protocols that are not required for the intended use of the device disabled?", "Yes", ""),
            ("SAHD-9", "Are all services which are not required for the intended use of the device deleted/disabled?", "Yes", ""),
            ("SAHD-11", "Can the device prohibit boot from uncontrolled or removable media?", "Yes", ""),
            ("SHAD-15", "Can the system prevent access to BIOS or other bootloaders during boot?", "Yes", ""),
        ],
    ),
    (
        "SECURITY GUIDANCE (SGUD)",
        &[
            ("SGUD-1", "Does the device include security documentation for the owner/operator?", "Yes", ""),
            ("SGUD-2", "Does the device have the capability, and provide instructions, for the permanent deletion of data from the device or media?", "Yes", ""),
        ],
    ),
    (
        "HEALTH DATA STORAGE CONFIDENTIALITY (STCF)",
        &[("STCF-1", "Can the device encrypt data at rest?", "Yes", "")],
    ),
    (
        "TRANSMISSION CONFIDENTIALITY (TXCF)",
        &[("TXCF-2", "Is personally identifiable information encrypted prior to transmission via a network or removable media?", "Yes, TLS 1.2", "")],
    ),
    (
        "REMOTE SERVICE (RMOT)",
        &[
            ("RMOT-1", "Does the device permit remote service connections for device analysis or repair?", "Yes", ""),
            ("RMOT-1.1", "Does the device allow the owner/operator to initiative remote service sessions for device analysis or repair?", "Yes", ""),
            ("RMOT-1.2", "Is there an indicator for an enabled and active remote session?", "Yes", ""),
            ("RMOT-1.3", "Can patient data be accessed or viewed from the device during the remote session?", "No", ""),
        ],
    ),
];

const NOTES: &[(&str, &str)] = &[
    (
        "Note 1",
        "Timeout is configurable from 1 to 60 minutes by the administrator.",
    ),
    (
        "Note 2",
        "The device runs an embedded OS with application allow-listing instead of anti-malware.",
    ),
    (
        "Note 3",
        "The service account password is fixed in firmware; contact Acme support.",
    ),
    (
        "Note 4",
        "End of support for PM-9000: 2031-12-31, published at https://acme.example/support.",
    ),
];

/// Write the form. `col` shifts every column right (the parser must find the id column by content).
fn write_form(col: u16) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("MDS2 form").unwrap();
    let mut row = 0u32;
    ws.write_string(
        row,
        col,
        "Manufacturer Disclosure Statement for Medical Device Security -- MDS2",
    )
    .unwrap();
    row += 2;
    for (i, h) in [
        "",
        "Question",
        "",
        "See note",
        "IEC TR 80001-2-2:2012",
        "ISO 27002:2013",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(row, col + i as u16, *h).unwrap();
    }
    row += 1;
    for (title, questions) in SECTIONS {
        ws.write_string(row, col, *title).unwrap();
        row += 1;
        for (id, q, a, n) in *questions {
            ws.write_string(row, col, *id).unwrap();
            ws.write_string(row, col + 1, *q).unwrap();
            if *id == "DOC-7" {
                // Release dates are usually real date cells, not text.
                let date = rust_xlsxwriter::ExcelDateTime::parse_from_str(a).unwrap();
                let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
                ws.write_datetime_with_format(row, col + 2, &date, &fmt)
                    .unwrap();
            } else if !a.is_empty() {
                ws.write_string(row, col + 2, *a).unwrap();
            }
            if !n.is_empty() {
                ws.write_string(row, col + 3, *n).unwrap();
            }
            ws.write_string(row, col + 4, "ALOF").unwrap();
            ws.write_string(row, col + 5, "A.11.2.8").unwrap();
            row += 1;
        }
    }
    row += 1;
    ws.write_string(row, col, "Notes:").unwrap();
    row += 1;
    for (k, text) in NOTES {
        ws.write_string(row, col, *k).unwrap();
        ws.write_string(row, col + 1, *text).unwrap();
        row += 1;
    }
    // A second sheet that must not be mistaken for the form.
    let other = wb.add_worksheet();
    other.set_name("Instructions").unwrap();
    other
        .write_string(0, 0, "How to fill in this form")
        .unwrap();
    wb.save_to_buffer().unwrap()
}

fn expected(id: &str) -> (&'static str, &'static str) {
    for (_, qs) in SECTIONS {
        for (qid, _, a, n) in *qs {
            if *qid == id {
                return (a, n);
            }
        }
    }
    panic!("{id} not in the test form");
}

fn note_text(reference: &str) -> Option<String> {
    NOTES
        .iter()
        .find(|(k, _)| *k == reference)
        .map(|(_, t)| t.to_string())
}

#[test]
fn hn1_2019_form_to_profile() {
    for shift in [0u16, 2] {
        let bytes = write_form(shift);
        assert_eq!(detect(&bytes), Some(Kind::Mds2Xlsx));
        let form = parse_mds2("pm9000.xlsx", &bytes).unwrap();
        assert_eq!(form.edition, Mds2Edition::Hn1_2019);
        assert_eq!(form.sheet, "MDS2 form");
        assert_eq!(form.sha256.len(), 64);
        let total: usize = SECTIONS.iter().map(|(_, q)| q.len()).sum();
        assert_eq!(
            form.answers.len(),
            total,
            "every question row is read, blank ones included"
        );

        // Every answer row matches what was written, raw and normalised.
        for (_, qs) in SECTIONS {
            for (id, q, a, n) in *qs {
                let canon = id.replace("SHAD-", "SAHD-");
                let got = form
                    .answer(&canon)
                    .unwrap_or_else(|| panic!("{id} missing"));
                assert_eq!(got.raw, *a, "{id}");
                assert_eq!(got.question, *q, "{id}");
                assert_eq!(got.answer, Answer::normalise(a), "{id}");
                let want_note = if n.is_empty() { None } else { note_text(n) };
                assert_eq!(got.note, want_note, "{id}");
            }
        }
        let shad = form.answer("SAHD-15").unwrap();
        assert_eq!(shad.raw_id.as_deref(), Some("SHAD-15"));

        let p = &form.profile;
        let check = |field: &Option<ProfileAnswer>, id: &str| {
            let f = field
                .as_ref()
                .unwrap_or_else(|| panic!("profile field from {id} is unknown"));
            let (raw, _) = expected(&id.replace("SAHD-15", "SHAD-15"));
            assert_eq!(f.question_id, id);
            assert_eq!(f.raw, raw, "{id}");
            assert_eq!(f.answer, Answer::normalise(raw), "{id}");
        };
        check(&p.manufacturer, "DOC-1");
        check(&p.model, "DOC-3");
        check(&p.release_date, "DOC-7");
        check(&p.is_samd, "DOC-11");
        check(&p.handles_personal_data, "MPII-1");
        check(&p.stores_personal_data, "MPII-2.2");
        check(&p.network_interfaces, "CONN-1");
        check(&p.wifi, "CONN-1.1.1");
        check(&p.bluetooth, "CONN-1.1.2");
        check(&p.ethernet, "CONN-1.2.1");
        check(&p.usb, "CONN-1.2.2");
        check(&p.internet_required, "CONN-8");
        check(&p.tls, "CONN-9");
        check(&p.remote_service, "RMOT-1");
        check(&p.remote_patient_data_access, "RMOT-1.3");
        check(&p.default_accounts_documented, "PAUT-4");
        check(&p.passwords_changeable, "PAUT-5");
        check(&p.multi_factor_authentication, "PAUT-8");
        check(&p.auto_logoff, "ALOF-1");
        check(&p.audit_log, "AUDT-1");
        check(&p.audit_export_siem, "AUDT-4.1.2");
        check(&p.time_sync, "AUDT-7.1");
        check(&p.emergency_access, "EMRG-1");
        check(&p.vendor_installs_patches, "CSUP-2.2");
        check(&p.remote_patching, "CSUP-2.3");
        check(&p.third_party_patches_without_approval, "CSUP-2.4");
        check(&p.anti_malware, "MLDP-2");
        check(&p.application_allowlisting, "MLDP-4");
        check(&p.encryption_at_rest, "STCF-1");
        check(&p.encryption_in_transit, "TXCF-2");
        check(&p.hardening_standard, "SAHD-1");
        check(&p.bootloader_protected, "SAHD-15");
        check(&p.sbom_available, "SBOM-1");
        check(&p.sbom_standard, "SBOM-2");
        check(&p.support_dates_published, "RDMP-3");
        check(&p.security_guide, "SGUD-1");
        // DTBK-3 is blank, so backup falls through to DTBK-4.
        check(&p.backup, "DTBK-4");
        assert_eq!(
            p.passwords_changeable.as_ref().unwrap().note,
            note_text("Note 3")
        );
        assert!(p
            .support_dates_published
            .as_ref()
            .unwrap()
            .note
            .as_ref()
            .unwrap()
            .contains("2031-12-31"));
        assert!(p.anti_malware.as_ref().unwrap().is_no());
        assert!(p.encryption_at_rest.as_ref().unwrap().is_yes());
        // Questions not on this form stay unknown.
        assert_eq!(p.removable_media.as_ref().unwrap().answer, Answer::No);
        assert!(p.owner_installs_patches.is_some());
        assert!(p.external_communication.is_some());
        assert!(p.vulnerability_disclosure_programme.is_some());
        assert_eq!(
            p.unused_ports_disabled.as_ref().unwrap().question_id,
            "SAHD-8"
        );
        assert!(p.is_samd.as_ref().unwrap().is_no());
        let json = serde_json::to_value(&form).unwrap();
        assert_eq!(json["profile"]["anti_malware"]["answer"], "No");
        assert_eq!(
            json["profile"]["default_accounts_documented"]["answer"],
            "N_A"
        );
        assert_eq!(json["edition"], "HN 1-2019");
        assert!(form.diagnostics.is_empty(), "{:?}", form.diagnostics);
    }
}

#[test]
fn unknown_stays_unknown() {
    // A sparse form: only a few capability sections, one answer left blank.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let rows = [
        ("ALOF-1", "Yes"),
        ("ALOF-2", ""),
        ("AUDT-1", "No"),
        ("AUTH-1", "Yes"),
        ("EMRG-1", ""),
        ("STCF-1", "See Note"),
    ];
    for (i, (id, a)) in rows.iter().enumerate() {
        ws.write_string(i as u32, 0, *id).unwrap();
        ws.write_string(i as u32, 1, "question text").unwrap();
        ws.write_string(i as u32, 2, *a).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let form = parse_mds2("sparse.xlsx", &bytes).unwrap();
    let p = &form.profile;
    assert!(p.auto_logoff.as_ref().unwrap().is_yes());
    assert!(p.audit_log.as_ref().unwrap().is_no());
    assert_eq!(p.emergency_access, None, "blank answer is unknown");
    assert_eq!(p.anti_malware, None, "absent question is unknown");
    assert_eq!(
        p.encryption_at_rest.as_ref().unwrap().answer,
        Answer::SeeNote
    );
    assert_eq!(p.known_fields(), 3);
    // `See Note` with no note reference is reported, with the place.
    let d = form
        .diagnostics
        .iter()
        .find(|d| d.code == "mds2-note-missing")
        .unwrap();
    assert_eq!(d.position.row, Some(6));
    assert_eq!(d.position.cell.as_deref(), Some("D"));
}

#[test]
fn hn1_2013_form_maps_where_questions_match() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("MDS2").unwrap();
    let rows: &[(&str, &str, &str)] = &[
        ("", "Manufacturer Disclosure Statement for Medical Device Security – MDS2 (HN 1-2013)", ""),
        ("", "1 AUTOMATIC LOGOFF (ALOF)", ""),
        ("1-1", "Can the device be configured to force reauthorization of logged-in user(s) after a predetermined length of inactivity?", "Yes"),
        ("1-2", "Can the length of inactivity time be configured?", "Yes"),
        ("", "2 AUDIT CONTROLS (AUDT)", ""),
        ("2-1", "Can the medical device create an audit trail?", "Yes"),
        ("", "8 EMERGENCY ACCESS (EMRG)", ""),
        ("8-1", "Does the device incorporate an emergency access (\"break-glass\") feature?", "No"),
        ("", "10 MALWARE DETECTION/PROTECTION (MLDP)", ""),
        ("10-1", "Does the device support the use of anti-malware software (or other anti-malware mechanism)?", "N/A"),
        ("10-2", "Can the user independently re-configure anti-malware settings?", "No"),
        ("", "17 HEALTH DATA STORAGE CONFIDENTIALITY (STCF)", ""),
        ("17-1", "Can the device encrypt data at rest?", "No"),
    ];
    for (i, (id, q, a)) in rows.iter().enumerate() {
        ws.write_string(i as u32, 0, *id).unwrap();
        ws.write_string(i as u32, 1, *q).unwrap();
        ws.write_string(i as u32, 2, *a).unwrap();
    }
    let form = parse_mds2("old.xlsx", &wb.save_to_buffer().unwrap()).unwrap();
    assert_eq!(form.edition, Mds2Edition::Hn1_2013);
    assert_eq!(form.answers.len(), 7);
    assert_eq!(form.answer("EMRG 8-1").unwrap().answer, Answer::No);
    let p = &form.profile;
    assert_eq!(p.auto_logoff.as_ref().unwrap().question_id, "ALOF 1-1");
    assert_eq!(p.audit_log.as_ref().unwrap().question_id, "AUDT 2-1");
    assert!(p.emergency_access.as_ref().unwrap().is_no());
    assert_eq!(
        p.anti_malware.as_ref().unwrap().answer,
        Answer::NotApplicable
    );
    assert_eq!(p.anti_malware.as_ref().unwrap().question_id, "MLDP 10-1");
    assert_eq!(
        p.encryption_at_rest.as_ref().unwrap().question_id,
        "STCF 17-1"
    );
    // No 2013 question maps to these.
    assert_eq!(p.sbom_available, None);
    assert_eq!(p.remote_service, None);
    assert_eq!(p.application_allowlisting, None);
}

fn zip_with(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            z.start_file(*name, opts).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

#[test]
fn hostile_containers_are_rejected() {
    // Highly compressible entry: ratio far above the limit.
    let bomb = zip_with(&[("xl/worksheets/sheet1.xml", vec![b'0'; 8 * 1024 * 1024])]);
    let err = parse_mds2("bomb.xlsx", &bomb).unwrap_err();
    assert!(err.message.contains("compression ratio"), "{err}");
    assert_eq!(detect(&bomb), None);

    let many: Vec<(String, Vec<u8>)> = (0..MAX_ZIP_ENTRIES + 1)
        .map(|i| (format!("f{i}"), vec![]))
        .collect();
    let many: Vec<(&str, Vec<u8>)> = many.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
    let err = parse_mds2("many.xlsx", &zip_with(&many)).unwrap_err();
    assert!(err.message.contains("zip entries"), "{err}");

    // A real xlsx whose one far-away cell would make calamine allocate billions of cells.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "ALOF-1").unwrap();
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    let err = parse_mds2("wide.xlsx", &wb.save_to_buffer().unwrap()).unwrap_err();
    assert!(err.message.contains("over the limit"), "{err}");
    assert_eq!(err.file.as_deref(), Some("wide.xlsx"));

    // A cell pointing past the shared-string table (calamine would index out of bounds).
    let bad_ref = zip_with(&[
        ("xl/sharedStrings.xml", br#"<sst><si><t>ALOF-1</t></si></sst>"#.to_vec()),
        ("xl/worksheets/sheet1.xml", br#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData></worksheet>"#.to_vec()),
    ]);
    let err = parse_mds2("badref.xlsx", &bad_ref).unwrap_err();
    assert!(err.message.contains("shared string 7"), "{err}");

    for junk in [
        &b""[..],
        b"PK\x03\x04garbage",
        b"not a zip at all",
        &[0u8; 100][..],
    ] {
        assert!(parse_mds2("junk.xlsx", junk).is_err());
        assert_eq!(detect(junk), None);
    }
    // A valid workbook that is not an MDS2 form.
    let mut wb = Workbook::new();
    wb.add_worksheet().write_string(0, 0, "hello").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    assert_eq!(detect(&bytes), None);
    assert!(parse_mds2("plain.xlsx", &bytes)
        .unwrap_err()
        .message
        .contains("question ids"));
}

#[test]
fn corrupted_workbooks_never_panic() {
    let bytes = write_form(0);
    for (i, cut) in (0..bytes.len()).step_by(bytes.len() / 97 + 1).enumerate() {
        let _ = parse_mds2("cut.xlsx", &bytes[..cut]);
        let _ = detect(&bytes[..cut]);
        let mut flipped = bytes.clone();
        flipped[cut] ^= 1 << (i % 8);
        let _ = parse_mds2("flip.xlsx", &flipped);
    }
}

#[test]
fn inline_string_workbook_from_another_writer() {
    // A minimal workbook as some converters write it: inline strings, no shared-string table.
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let rows: String = ["ALOF-1", "ALOF-2", "AUDT-1", "EMRG-1", "MLDP-2", "STCF-1"]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let r = i + 1;
            let a = if i % 2 == 0 { "Yes" } else { "No" };
            format!(r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{id}</t></is></c><c r="C{r}" t="inlineStr"><is><t>{a}</t></is></c></row>"#)
        })
        .collect();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_vec()),
        ("_rels/.rels", format!(r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#).into_bytes()),
        ("xl/workbook.xml", format!(r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{rel}"><sheets><sheet name="MDS2" sheetId="1" r:id="rId1"/></sheets></workbook>"#).into_bytes()),
        ("xl/_rels/workbook.xml.rels", format!(r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#).into_bytes()),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#).into_bytes()),
    ];
    let bytes = zip_with(&files);
    assert_eq!(detect(&bytes), Some(Kind::Mds2Xlsx));
    let form = parse_mds2("inline.xlsx", &bytes).unwrap();
    assert_eq!(form.answers.len(), 6);
    let p = &form.profile;
    assert!(p.auto_logoff.as_ref().unwrap().is_yes());
    assert!(p.audit_log.as_ref().unwrap().is_yes());
    assert!(p.emergency_access.as_ref().unwrap().is_no());
    assert!(p.anti_malware.as_ref().unwrap().is_yes());
    assert!(p.encryption_at_rest.as_ref().unwrap().is_no());
}
