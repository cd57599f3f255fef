import Foundation

extension PreSealHook {
    /// Makes the spawn leave the hook no descriptor of batchd's but the
    /// three standard ones. SSHKit marks libssh's sockets close-on-exec;
    /// this also covers any descriptor a library opened without it, which
    /// a hook still running after batchd was killed would keep open.
    static func closeOtherDescriptors(_ actions: inout posix_spawn_file_actions_t, flags: inout Int32) {
        #if os(Linux)
        // glibc 2.34's posix_spawn_file_actions_addclosefrom_np is declared
        // for _GNU_SOURCE only, which Swift's Glibc module does not see;
        // an older glibc lacks it, and the descriptors stay open.
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let program = dlopen(nil, RTLD_NOW) else { return }
        defer { dlclose(program) }
        guard let symbol = dlsym(program, "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
        #else
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #endif
    }
}
