//! SPDX 2.2/2.3 tag-value: `Tag: value` lines, `<text>…</text>` values may span lines. Fills the
//! same document struct as the JSON reader. Unknown tags are accepted (the spec has many we do not
//! model); a line that is not `Tag: value` is a diagnostic naming the line.

use crate::spdx_json::{self, Checksum, CreationInfo, Doc, ExternalRef, File, Package, Rel};
use crate::{
    Diags, FormatError, Position, Sbom, SbomFormat, MAX_COMPONENTS, MAX_STRING, MAX_TV_LINES,
};

const CODE: &str = "spdx-tag-value";

#[derive(PartialEq)]
enum Section {
    Document,
    Package,
    File,
    /// Snippets and extracted licenses: tags there do not describe packages or files.
    Other,
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Sbom, FormatError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes
            .get(..e.valid_up_to())
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        FormatError::new(
            "tag-value document is not UTF-8",
            Position {
                line: Some(line),
                ..Default::default()
            },
        )
    })?;
    let mut diags = Diags::default();
    let mut doc = Doc::default();
    let mut section = Section::Document;
    let mut lines = text.lines().enumerate();
    let mut count = 0usize;
    while let Some((i, raw)) = lines.next() {
        count += 1;
        if count > MAX_TV_LINES {
            return Err(FormatError::new(
                format!("more than {MAX_TV_LINES} lines"),
                Position::default(),
            ));
        }
        let line_no = i as u64 + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((tag, value)) = line.split_once(':') else {
            diags.push(
                CODE,
                "expected `Tag: value`".into(),
                Position {
                    line: Some(line_no),
                    ..Default::default()
                },
            );
            continue;
        };
        let tag = tag.trim();
        let mut value = value.trim().to_string();
        if let Some(rest) = value.strip_prefix("<text>") {
            // Multi-line text: read until the closing tag.
            let mut buf = rest.to_string();
            while !buf.contains("</text>") {
                let Some((_, next)) = lines.next() else {
                    return Err(FormatError::new(
                        format!("<text> value of `{tag}` is not closed"),
                        Position {
                            line: Some(line_no),
                            ..Default::default()
                        },
                    ));
                };
                if buf.len() + next.len() > MAX_STRING {
                    return Err(FormatError::new(
                        format!("<text> value longer than {MAX_STRING} bytes"),
                        Position {
                            line: Some(line_no),
                            ..Default::default()
                        },
                    ));
                }
                buf.push('\n');
                buf.push_str(next);
            }
            value = buf
                .split("</text>")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
        }
        let v = Some(value.clone());
        match tag {
            "SPDXVersion" => doc.spdx_version = v,
            "DataLicense" => doc.data_license = v,
            "DocumentName" => doc.name = v,
            "DocumentNamespace" => doc.document_namespace = v,
            "Created" => {
                doc.creation_info
                    .get_or_insert_with(CreationInfo::default)
                    .created = v
            }
            "Creator" => doc
                .creation_info
                .get_or_insert_with(CreationInfo::default)
                .creators
                .push(value),
            "PackageName" => {
                if doc.packages.len() + doc.files.len() >= MAX_COMPONENTS {
                    return Err(FormatError::new(
                        format!("more than {MAX_COMPONENTS} packages and files"),
                        Position::default(),
                    ));
                }
                section = Section::Package;
                doc.packages.push(Package {
                    name: v,
                    line: Some(line_no),
                    ..Default::default()
                });
            }
            "FileName" => {
                if doc.packages.len() + doc.files.len() >= MAX_COMPONENTS {
                    return Err(FormatError::new(
                        format!("more than {MAX_COMPONENTS} packages and files"),
                        Position::default(),
                    ));
                }
                section = Section::File;
                doc.files.push(File {
                    file_name: v,
                    line: Some(line_no),
                    ..Default::default()
                });
            }
            "SnippetSPDXID" | "LicenseID" => section = Section::Other,
            "SPDXID" => match section {
                Section::Document => doc.spdx_id = v,
                Section::Package => {
                    if let Some(p) = doc.packages.last_mut() {
                        p.spdx_id = v;
                    }
                }
                Section::File => {
                    if let Some(f) = doc.files.last_mut() {
                        f.spdx_id = v;
                    }
                }
                Section::Other => {}
            },
            "Relationship" => {
                let mut parts = value.split_whitespace();
                let rel = Rel {
                    spdx_element_id: parts.next().map(str::to_string),
                    relationship_type: parts.next().map(str::to_string),
                    related_spdx_element: parts.next().map(str::to_string),
                    line: Some(line_no),
                };
                doc.relationships.push(rel);
            }
            _ if section == Section::Package => {
                let Some(p) = doc.packages.last_mut() else {
                    continue;
                };
                match tag {
                    "PackageVersion" => p.version_info = v,
                    "PackageSupplier" => p.supplier = v,
                    "PackageOriginator" => p.originator = v,
                    "PackageDownloadLocation" => p.download_location = v,
                    "PackageDescription" => p.description = v,
                    "PackageLicenseConcluded" => p.license_concluded = v,
                    "PackageLicenseDeclared" => p.license_declared = v,
                    "PrimaryPackagePurpose" => p.primary_package_purpose = v,
                    "PackageChecksum" => p.checksums.push(checksum(&value)),
                    "ExternalRef" => {
                        // `ExternalRef: CATEGORY TYPE LOCATOR`; the category is implied by the type.
                        let mut parts = value.split_whitespace().skip(1);
                        let r = ExternalRef {
                            reference_type: parts.next().map(str::to_string),
                            reference_locator: parts.next().map(str::to_string),
                        };
                        if r.reference_locator.is_none() {
                            diags.push(
                                CODE,
                                "ExternalRef needs category, type and locator".into(),
                                Position {
                                    line: Some(line_no),
                                    ..Default::default()
                                },
                            );
                        }
                        p.external_refs.push(r);
                    }
                    _ => {}
                }
            }
            _ if section == Section::File => {
                let Some(f) = doc.files.last_mut() else {
                    continue;
                };
                match tag {
                    "FileChecksum" => f.checksums.push(checksum(&value)),
                    "LicenseConcluded" => f.license_concluded = v,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    spdx_json::convert(doc, SbomFormat::SpdxTagValue, diags)
}

/// `SHA1: 78ed…` → algorithm and value.
fn checksum(value: &str) -> Checksum {
    match value.split_once(':') {
        Some((alg, v)) => Checksum {
            algorithm: Some(alg.trim().to_string()),
            checksum_value: Some(v.trim().to_string()),
        },
        None => Checksum {
            algorithm: None,
            checksum_value: Some(value.to_string()),
        },
    }
}
