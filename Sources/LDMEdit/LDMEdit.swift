// LDMEdit: changing a live LDM database (issue 13).
//
// create-volume and delete-volume plan a change from an assembled group
// (ChangePlanner), then write it into every member's database copy in
// Windows' transaction order (TransactionWriter) through a SectorWriter,
// after MetadataBackup has saved every member's database area.
// Nothing here is used by activation: activation never writes.
