import Synchronization
#if canImport(Glibc)
import Glibc

/// glibc serves blocks above its mmap threshold (128 KiB, adjusted dynamically) with fresh `mmap`s
/// and gives freed heap tops back to the kernel, so every large tensor of a training step — a
/// `[1280, 256]` activation is 1.3 MB — came back as new pages that the kernel faults in and zeroes
/// (`clear_page_erms` + page faults were 12% of a Flow-Noise PPO epoch under `perf`). Serving them
/// from the heap and not trimming it lets freed tensor memory be reused directly. Process-wide,
/// set once before the first tensor is allocated; it changes speed and resident memory (the heap
/// keeps its peak size), never values.
private let heapReuseConfigured: Bool = {
    // <malloc.h> is not part of Swift's Glibc module; the parameter numbers are glibc's ABI.
    let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3
    _ = glibcMallopt(mmapThreshold, 32 << 20)  // glibc's maximum on 64-bit
    _ = glibcMallopt(trimThreshold, 1 << 30)
    return true
}()

@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// The memory behind a `Tensor`: a 64-byte-aligned run of Float32 values.
///
/// Tensors share storage on copy; a writer goes through `Tensor.withUnsafeMutableBufferPointer`,
/// which copies first unless the storage is uniquely referenced (copy-on-write).
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// These values packed as a GEMM operand (`PackedPanels.swift`), made on first use, dropped by writes.
    let packed = Mutex<SGEMM.PackedPanels?>(nil)

    /// Uninitialised storage for `count` floats; every constructor fills it before anyone reads it.
    init(uninitializedCount count: Int) {
        #if canImport(Glibc)
        _ = heapReuseConfigured
        #endif
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    convenience init(repeating value: Float, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    convenience init<C: Collection>(copying values: C) where C.Element == Float {
        self.init(uninitializedCount: values.count)
        var i = 0
        for v in values { pointer[i] = v; i += 1 }
    }

    func copy() -> TensorStorage {
        let s = TensorStorage(uninitializedCount: count)
        s.pointer.update(from: pointer, count: count)
        return s
    }

    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    deinit { pointer.deallocate() }
}
