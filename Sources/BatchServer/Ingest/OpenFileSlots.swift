/// The right of one staged file to hold a descriptor, counted against its
/// user's MaxOpenFilesPerUser across every connection. A user who opens
/// files and never closes them runs out of their own slots, not the
/// server's descriptors.
struct OpenFileSlots: Sendable {
    let allowance: UserAllowance
    let user: String
    let limit: Int

    /// Takes a slot, or throws the refusal the client sees.
    func take() throws(IngestError) {
        guard allowance.take(for: user, limit: limit) else { throw .tooManyOpenFiles(limit) }
    }

    func give() {
        allowance.give(for: user)
    }
}
