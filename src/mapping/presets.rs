//! The mappings that ship with the binary: `--preset NAME` instead of `--mapping FILE`.

use crate::mapping::Mapping;

/// A preset: its name, what it reads, and its mapping (TOML) where it reads a list.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub name: &'static str,
    pub reads: &'static str,
    /// The mapping of a list preset; `None` for ZMS, whose JSON has fixed field names.
    pub mapping: Option<&'static str>,
}

/// Every preset.
pub const PRESETS: [Preset; 3] = [
    Preset {
        name: "zms",
        reads: "ZMS / eappointment process entities (JSON list, or the API's {\"data\": [...]})",
        mapping: None,
    },
    Preset {
        name: "qmatic",
        reads: "a Qmatic appointment report (CSV or XLSX)",
        mapping: Some(include_str!("presets/qmatic.toml")),
    },
    Preset {
        name: "generic-de",
        reads: "a German appointment list (Termin-Nr., Standort, Dienstleistung, Termin, gebucht am, Status, geändert am)",
        mapping: Some(include_str!("presets/generic-de.toml")),
    },
];

/// The preset called `name`.
pub fn find(name: &str) -> Result<Preset, String> {
    PRESETS.into_iter().find(|p| p.name == name).ok_or_else(|| {
        let known: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        format!("preset {name:?} is not known; there are {}", known.join(", "))
    })
}

/// The mapping of a list preset.
pub fn mapping(preset: &Preset) -> Option<Mapping> {
    preset.mapping.map(|text| toml::from_str(text).expect("a preset's mapping is valid (tested)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_presets_mapping_reads() {
        for preset in PRESETS {
            if let Some(text) = preset.mapping {
                let parsed: Result<Mapping, _> = toml::from_str(text);
                assert!(parsed.is_ok(), "{}: {parsed:?}", preset.name);
            }
        }
        assert!(find("sap").unwrap_err().contains("zms, qmatic, generic-de"));
    }
}
