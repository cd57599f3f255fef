#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Moves an archive's segments through its threads: a pool of workers
/// encodes them in any order, then each sink (whole-archive digest, piece
/// digests, file) consumes them strictly in order on a thread of its own, so
/// compression, hashing and writing overlap across cores while the output
/// stays byte-for-byte what a single thread would produce.
///
/// The producer (the writer's caller) fills segments and `submit`s them;
/// at most `segmentLimit` exist at once, which bounds memory and makes a
/// producer that outruns the disk wait.
///
/// Shared by the producer and the pipeline's threads. Every mutable property
/// below is guarded by `mutex`; segments change owner only under it. Each
/// kind of waiter has its own condition, so a change wakes only the thread
/// that can act on it: with one condition broadcast to all, context switches
/// took about a sixth of the CPU time when storing random data.
final class ArchivePipeline: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Workers wait here for submitted segments.
    private let submitted: UnsafeMutablePointer<pthread_cond_t>
    /// Sink `k` waits on `nextReady[k]` for the segment it consumes next.
    private let nextReady: [UnsafeMutablePointer<pthread_cond_t>]
    /// The producer waits here for a spare segment or an empty window.
    private let retired: UnsafeMutablePointer<pthread_cond_t>
    private let sinks: [any SegmentSink]
    private let segmentCapacity: Int
    private let segmentLimit: Int

    private var allocated = 0
    private var spare: [Segment] = []
    /// Submitted segments waiting for a worker, oldest first.
    private var unencoded: [Segment] = []
    /// Submitted segments not yet consumed by every sink, in order; the
    /// first has sequence number `windowStart`.
    private var window: [Segment] = []
    private var encoded: [Bool] = []
    private var windowStart = 0
    private var nextSequence = 0
    /// The sequence number each sink consumes next.
    private var sinkPositions: [Int]
    private var failure: ArchiveError?
    private var stopping = false
    /// Touched only by the producer, in `init` and `stop`.
    private var threads: [JoinableThread] = []

    /// Starts `workers` encoding threads (each with its own deflate stream
    /// at `level`) and one thread per sink.
    init(sinks: [any SegmentSink], workers: Int, level: Int32, segmentCapacity: Int) throws(ArchiveError) {
        self.sinks = sinks
        self.segmentCapacity = segmentCapacity
        // Enough for every worker to hold one while the sinks trail behind.
        segmentLimit = 2 * workers + 4
        sinkPositions = Array(repeating: 0, count: sinks.count)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        submitted = ArchivePipeline.makeCondition()
        retired = ArchivePipeline.makeCondition()
        nextReady = sinks.map { _ in ArchivePipeline.makeCondition() }
        do {
            for _ in 0..<workers {
                let encoder = try SegmentEncoder(level: level)
                threads.append(try JoinableThread { [self] in runWorker(encoder) })
            }
            for index in sinks.indices {
                threads.append(try JoinableThread { [self] in runSink(index) })
            }
        } catch {
            stop()
            throw error
        }
    }

    deinit {
        for condition in [submitted, retired] + nextReady {
            pthread_cond_destroy(condition)
            condition.deallocate()
        }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// A segment to fill, reset to `kind` and primed from `previous`; waits
    /// while the limit is reached.
    func obtain(kind: Segment.Kind, after previous: Segment?) throws(ArchiveError) -> Segment {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while spare.isEmpty && allocated >= segmentLimit && failure == nil {
            pthread_cond_wait(retired, mutex)
        }
        if let failure { throw failure }
        let segment: Segment
        if let reused = spare.popLast() {
            segment = reused
        } else {
            segment = Segment(capacity: segmentCapacity)
            allocated += 1
        }
        segment.reset(kind: kind, after: previous)
        return segment
    }

    /// Queues a filled segment; the caller must not touch it afterwards.
    func submit(_ segment: Segment) throws(ArchiveError) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let failure { throw failure }
        segment.sequence = nextSequence
        nextSequence += 1
        window.append(segment)
        encoded.append(false)
        unencoded.append(segment)
        pthread_cond_signal(submitted)
    }

    /// Waits until every submitted segment has been consumed by every sink,
    /// after which the sinks' results may be read.
    func drain() throws(ArchiveError) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !window.isEmpty && failure == nil {
            pthread_cond_wait(retired, mutex)
        }
        if let failure { throw failure }
    }

    /// Ends and joins every thread; segments still queued are dropped.
    /// Calling it again does nothing.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        wakeEveryone()
        pthread_mutex_unlock(mutex)
        for thread in threads {
            thread.join()
        }
        threads = []
    }

    private func runWorker(_ encoder: SegmentEncoder) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            while unencoded.isEmpty && !stopping {
                pthread_cond_wait(submitted, mutex)
            }
            if stopping { return }
            let segment = unencoded.removeFirst()
            pthread_mutex_unlock(mutex)
            var error: ArchiveError?
            do {
                try encoder.encode(segment)
            } catch let caught {
                error = caught
            }
            pthread_mutex_lock(mutex)
            encoded[segment.sequence - windowStart] = true
            if let error {
                fail(error)
            } else {
                for (index, position) in sinkPositions.enumerated() where position == segment.sequence {
                    pthread_cond_signal(nextReady[index])
                }
            }
        }
    }

    private func runSink(_ index: Int) {
        let sink = sinks[index]
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            while !stopping && failure == nil && !isReady(sinkPositions[index]) {
                pthread_cond_wait(nextReady[index], mutex)
            }
            if stopping || failure != nil { return }
            let segment = window[sinkPositions[index] - windowStart]
            pthread_mutex_unlock(mutex)
            var error: ArchiveError?
            do {
                try sink.consume(segment)
            } catch let caught {
                error = caught
            }
            pthread_mutex_lock(mutex)
            sinkPositions[index] += 1
            if let error {
                fail(error)
            } else if retireConsumed() {
                pthread_cond_signal(retired)
            }
        }
    }

    /// Records the first failure and wakes every thread to see it.
    /// Call with `mutex` held.
    private func fail(_ error: ArchiveError) {
        if failure == nil { failure = error }
        wakeEveryone()
    }

    /// Call with `mutex` held.
    private func wakeEveryone() {
        for condition in [submitted, retired] + nextReady {
            pthread_cond_broadcast(condition)
        }
    }

    private static func makeCondition() -> UnsafeMutablePointer<pthread_cond_t> {
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        pthread_cond_init(condition, nil)
        return condition
    }

    /// Whether the segment numbered `sequence` is submitted and encoded.
    /// Call with `mutex` held.
    private func isReady(_ sequence: Int) -> Bool {
        let offset = sequence - windowStart
        return offset < window.count && encoded[offset]
    }

    /// Returns segments every sink has consumed to the spares; true if any.
    /// Call with `mutex` held.
    private func retireConsumed() -> Bool {
        let oldestUnconsumed = sinkPositions.min() ?? nextSequence
        let count = oldestUnconsumed - windowStart
        guard count > 0 else { return false }
        spare.append(contentsOf: window.prefix(count))
        window.removeFirst(count)
        encoded.removeFirst(count)
        windowStart = oldestUnconsumed
        return true
    }
}
