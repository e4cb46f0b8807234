import Foundation
import Testing
import PixelwiseTestSupport
import PixelwiseCore
@testable import PixelwiseIO

@Suite struct RunFolderLockTests {
    @Test func aSecondLockOnTheSameFolderIsRefused() throws {
        let scratch = try ScratchFolder()
        let first = try RunFolderLock(folder: scratch.path)
        #expect(first.takenOver == nil)
        let me = "\(getpid()) \(ProcessInfo.processInfo.hostName)"
        #expect(try String(contentsOfFile: first.path, encoding: .utf8).hasPrefix("\(getpid()) "))
        #expect(throws: PixelwiseError.file(path: scratch.path, problem: "another training run (process \(getpid()) on \(me.split(separator: " ", maxSplits: 1)[1])) is writing into this folder; wait for it to finish or choose another folder")) {
            _ = try RunFolderLock(folder: scratch.path)
        }
        // Other folders are not affected.
        let other = scratch.file("other")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let elsewhere = try RunFolderLock(folder: other)
        elsewhere.release()

        first.release()
        #expect(try scratch.contents() == ["other"])  // the lock file goes with the lock
        let again = try RunFolderLock(folder: scratch.path)
        #expect(again.takenOver == nil)
        again.release()
    }

    @Test func aLockLeftByADeadProcessIsTakenOver() throws {
        let scratch = try ScratchFolder()
        // A process that exited: its id is free (reaped), and it held no flock any more.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        try "\(child.processIdentifier) crashed-host\n".write(toFile: scratch.file(RunFolderLock.fileName), atomically: false, encoding: .utf8)

        let lock = try RunFolderLock(folder: scratch.path)
        #expect(lock.takenOver?.pid == child.processIdentifier && lock.takenOver?.host == "crashed-host")
        #expect(try String(contentsOfFile: lock.path, encoding: .utf8).hasPrefix("\(getpid()) "))
        lock.release()
    }

    @Test func aLockHeldByAnotherProcessIsRefusedUntilItEnds() throws {
        let scratch = try ScratchFolder()
        // flock(1) from util-linux holds the lock in another process while `cat` waits on its
        // input (-o: `cat` does not inherit the lock, so ending flock(1) ends the lock).
        let holder = Process(), input = Pipe()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["-o", scratch.file(RunFolderLock.fileName), "cat"]
        holder.standardInput = input
        try holder.run()
        defer {
            try? input.fileHandleForWriting.close()
            if holder.isRunning { holder.terminate() }
            holder.waitUntilExit()
        }
        var refused = false
        for _ in 0..<200 where !refused {  // until flock(1) has the lock
            do { try RunFolderLock(folder: scratch.path).release(); usleep(20_000) } catch { refused = true }
        }
        #expect(refused)
        try input.fileHandleForWriting.close()  // cat ends, then flock(1)
        holder.waitUntilExit()
        let lock = try RunFolderLock(folder: scratch.path)
        lock.release()
    }
}
