//! sea-orm entities, one file per table, matching the migrations exactly. Entities are the
//! database's shape; the API speaks the wire types of `app::wire`.

pub mod event_volume_hourly;
