/// The "did you mean …?" of config errors: the known name nearest to a misspelt one.
///
/// ```swift
/// ClosestName.find("actor_lrr", in: ["actor_lr", "critic_lr"])   // "actor_lr"
/// ClosestName.find("numEnvs", in: ["id", "num_envs"])           // "num_envs" (spelling styles are ignored)
/// ClosestName.find("banana", in: ["id", "num_envs"])            // nil (nothing is close)
/// ```
///
/// Distance is the edit distance (with swaps of neighbours) between the names after lower-casing and dropping
/// `_` and `-`; a candidate counts as close when the distance is at most a third of the longer
/// name (at least 1, so one typo is always forgiven).
public enum ClosestName {
    public static func find(_ name: String, in candidates: [String]) -> String? {
        let target = normalize(name)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let other = normalize(candidate)
            let distance = editDistance(Array(target), Array(other))
            let limit = max(1, max(target.count, other.count) / 3)
            guard distance <= limit else { continue }
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.name
    }

    static func normalize(_ name: String) -> String {
        String(name.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
    /// neighbouring characters (`widht` → `width`) each cost 1.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
