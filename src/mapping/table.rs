//! A list's rows (CSV or a spreadsheet's cells, as text) to [`Version`]s through a [`Mapping`].

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use crate::domain::event::{Channel, Instant};
use crate::domain::id::{AppointmentId, OfficeId, ServiceId};
use crate::domain::time::Zone;
use crate::mapping::{Mapping, Names, Read, RowError, Stage, Version, id_of};

/// One data row of a list: its line in the file and its cells in header order.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// A mapping checked once, with the columns found in the header.
pub struct Mapper<'a> {
    mapping: &'a Mapping,
    zone: Zone,
    channel: Channel,
    /// Each mapped role's column: its index in the header and its name.
    index: BTreeMap<&'static str, (usize, String)>,
    /// Status values in lower case → their stage (a value named twice counts for the first of cancelled,
    /// attended, missed, booked).
    stages: std::collections::HashMap<String, Stage>,
    /// Channel values in lower case → their channel.
    channels: std::collections::HashMap<String, Channel>,
    /// The date-and-time formats tried, parsed once.
    formats: Vec<Vec<chrono::format::Item<'static>>>,
}

impl<'a> Mapper<'a> {
    /// Checks the mapping against the list's header line.
    pub fn new(mapping: &'a Mapping, header: &[String]) -> Result<Mapper<'a>, String> {
        if OfficeId::parse(&mapping.source.name).is_err() {
            return Err(format!("[source] name {:?} is not an id like kl-export", mapping.source.name));
        }
        let zone = Zone::parse(mapping.source.timezone.as_deref().unwrap_or("Europe/Berlin"))?;
        let channel = match mapping.source.default_channel.as_deref() {
            None => Channel::Online,
            Some(c) => {
                Channel::parse(c).ok_or_else(|| format!("[source] default_channel {c:?}: online, phone or counter"))?
            }
        };
        for (value, channel) in &mapping.channels {
            if Channel::parse(channel).is_none() {
                return Err(format!("[channels] {value:?} = {channel:?}: a channel is online, phone or counter"));
            }
        }
        let c = &mapping.columns;
        let wanted: [(&'static str, Option<&String>); 9] = [
            ("appointment_id", Some(&c.appointment_id)),
            ("office", Some(&c.office)),
            ("service", Some(&c.service)),
            ("slot", Some(&c.slot)),
            ("slot_time", c.slot_time.as_ref()),
            ("booked_at", Some(&c.booked_at)),
            ("status", Some(&c.status)),
            ("changed_at", c.changed_at.as_ref()),
            ("channel", c.channel.as_ref()),
        ];
        let mut index = BTreeMap::new();
        let optional = ["slot_time", "changed_at", "channel"];
        for (role, name) in wanted {
            let Some(name) = name else { continue };
            let found = header.iter().position(|h| h.trim() == name.trim());
            if found.is_none() && mapping.source.optional_columns_may_be_missing && optional.contains(&role) {
                continue;
            }
            let at = found.ok_or_else(|| {
                format!("[columns] {role} = {name:?} is not a column of the file; it has {}", header.join(", "))
            })?;
            index.insert(role, (at, name.trim().to_owned()));
        }
        let st = &mapping.status;
        let mut stages = std::collections::HashMap::new();
        for (values, stage) in [
            (&st.booked, Stage::Open),
            (&st.missed, Stage::Missed),
            (&st.attended, Stage::Attended),
            (&st.cancelled, Stage::Cancelled),
        ] {
            for value in values {
                stages.insert(value.trim().to_lowercase(), stage);
            }
        }
        let mut channels: std::collections::HashMap<String, Channel> =
            Channel::ALL.into_iter().map(|c| (c.as_str().to_owned(), c)).collect();
        for (value, name) in &mapping.channels {
            channels.insert(value.trim().to_lowercase(), Channel::parse(name).unwrap_or(Channel::Online));
        }
        let formats = datetime_formats(mapping.source.datetime_format.as_deref())
            .iter()
            .map(|f| chrono::format::StrftimeItems::new(f).parse_to_owned())
            .collect::<Result<_, _>>()
            .map_err(|_| {
                format!("[source] datetime_format {:?} is not a chrono format", mapping.source.datetime_format)
            })?;
        Ok(Mapper { mapping, zone, channel, index, stages, channels, formats })
    }

    /// The source's name, which every event id starts with.
    pub fn source(&self) -> &str {
        &self.mapping.source.name
    }

    fn cell<'r>(&self, row: &'r Row, role: &str) -> Option<&'r str> {
        self.index.get(role).and_then(|(i, _)| row.cells.get(*i)).map(|s| s.trim())
    }

    /// The header of `role`'s column (the role itself where the mapping names none).
    fn column(&self, role: &str) -> String {
        self.index.get(role).map_or_else(|| role.to_owned(), |(_, name)| name.clone())
    }

    fn problem(&self, row: &Row, role: &str, value: &str, reason: impl Into<String>) -> RowError {
        RowError {
            file: 0,
            line: row.line,
            column: Some(self.column(role)),
            value: Some(value.to_owned()),
            reason: reason.into(),
        }
    }

    fn required<'r>(&self, row: &'r Row, role: &str) -> Result<&'r str, RowError> {
        match self.cell(row, role) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(self.problem(row, role, "", "is empty")),
        }
    }

    fn instant(&self, row: &Row, role: &str, text: &str) -> Result<Instant, RowError> {
        let local = parse_with(text, &self.formats)
            .ok_or_else(|| self.problem(row, role, text, "is not a date and time (see [source] datetime_format)"))?;
        local_instant(self.zone, local)
            .ok_or_else(|| self.problem(row, role, text, "does not exist in the zone (a daylight-saving gap)"))
    }

    fn stage(&self, status: &str) -> Option<Stage> {
        self.stages.get(&status.trim().to_lowercase()).copied()
    }

    fn channel(&self, row: &Row) -> Result<Channel, RowError> {
        let Some(text) = self.cell(row, "channel").filter(|c| !c.is_empty()) else { return Ok(self.channel) };
        self.channels.get(&text.to_lowercase()).copied().ok_or_else(|| {
            self.problem(row, "channel", text, "is not online, phone or counter; map it in [channels] of the mapping")
        })
    }

    /// One row as a version of its appointment, noting the names it gives for ids.
    pub fn version(&self, row: &Row, names: &mut Names) -> Result<Version, RowError> {
        let appointment_text = self.required(row, "appointment_id")?;
        let appointment = AppointmentId::parse(appointment_text)
            .map_err(|e| self.problem(row, "appointment_id", appointment_text, e.to_string()))?;
        let office_text = self.required(row, "office")?;
        let office = id_of(office_text, &self.mapping.offices, OfficeId::parse)
            .map_err(|e| self.problem(row, "office", office_text, format!("{e} (in [offices])")))?;
        let service_text = self.required(row, "service")?;
        let service = id_of(service_text, &self.mapping.services, ServiceId::parse)
            .map_err(|e| self.problem(row, "service", service_text, format!("{e} (in [services])")))?;
        let slot_text = self.required(row, "slot")?;
        let slot = match self.cell(row, "slot_time") {
            Some(time) if self.index.contains_key("slot_time") => {
                self.instant(row, "slot", &format!("{slot_text} {time}"))?
            }
            _ => self.instant(row, "slot", slot_text)?,
        };
        let booked_text = self.required(row, "booked_at")?;
        let booked_at = self.instant(row, "booked_at", booked_text)?;
        let status_text = self.cell(row, "status").unwrap_or_default();
        let stage = self.stage(status_text).ok_or_else(|| {
            self.problem(row, "status", status_text, "is none of the status values of [status] in the mapping")
        })?;
        let changed_at = match self.cell(row, "changed_at").filter(|c| !c.is_empty()) {
            Some(text) => Some(self.instant(row, "changed_at", text)?),
            None => None,
        };
        if stage == Stage::Cancelled && changed_at.is_none() {
            return Err(self.problem(row, "changed_at", "", "a cancellation needs its time"));
        }
        let channel = self.channel(row)?;
        Names::note(&mut names.offices, &office, office_text);
        Names::note(&mut names.services, &service, service_text);
        Ok(Version {
            file: 0,
            line: row.line,
            appointment,
            office,
            service,
            slot,
            booked_at,
            stage,
            changed_at,
            channel,
        })
    }

    /// Reads every row: the versions, or for each bad row its problem (with its appointment id where readable).
    pub fn read(&self, rows: impl IntoIterator<Item = Row>) -> Read {
        let mut read = Read::default();
        for row in rows {
            read.rows += 1;
            if let Some(status) = self.cell(&row, "status") {
                *read.statuses.entry(status.to_owned()).or_default() += 1;
                if self.stage(status).is_none() {
                    read.unknown_statuses.insert(status.to_owned());
                }
            }
            match self.version(&row, &mut read.names) {
                Ok(version) => read.versions.push(version),
                Err(problem) => {
                    let appointment = self.cell(&row, "appointment_id").filter(|a| !a.is_empty()).map(str::to_owned);
                    read.problems.push((appointment, problem));
                }
            }
        }
        read
    }
}

/// A local date and time as an instant in `zone`; the earlier of two in a daylight-saving fold.
pub(crate) fn local_instant(zone: Zone, local: NaiveDateTime) -> Option<Instant> {
    zone.tz().from_local_datetime(&local).earliest().map(|t| t.fixed_offset())
}

/// A local date and time in `format`, or in one of the ISO forms.
pub(crate) fn parse_local(text: &str, format: Option<&str>) -> Option<NaiveDateTime> {
    let formats: Vec<Vec<chrono::format::Item<'static>>> = datetime_formats(format)
        .iter()
        .filter_map(|f| chrono::format::StrftimeItems::new(f).parse_to_owned().ok())
        .collect();
    parse_with(text, &formats)
}

/// A local date and time in the first of `formats` that reads it, else a date alone (its start of day).
fn parse_with(text: &str, formats: &[Vec<chrono::format::Item<'static>>]) -> Option<NaiveDateTime> {
    let read = |items: &[chrono::format::Item<'static>]| {
        let mut parsed = chrono::format::Parsed::new();
        chrono::format::parse(&mut parsed, text, items.iter()).ok()?;
        parsed.to_naive_datetime_with_offset(0).ok()
    };
    formats.iter().find_map(|items| read(items)).or_else(|| {
        // A date alone (a list that gives no time) counts as its start of day.
        ["%d.%m.%Y", "%Y-%m-%d"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
            .map(|d| d.and_time(NaiveTime::MIN))
    })
}

/// The date-and-time formats tried, the mapping's first.
fn datetime_formats(format: Option<&str>) -> [&str; 9] {
    [
        format.unwrap_or("%d.%m.%Y %H:%M"),
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
    ]
}
