namespace YoloDistill.Detector.Weights.Pickle;

/// <summary>A global reference (module + name) read from a pickle. It is only a name: nothing is imported or called.</summary>
public sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
    public override string ToString() => FullName;
}

/// <summary>
/// An inert stand-in for an object of a class the file names (an nn.Module, a numpy scalar, anything not whitelisted):
/// it only records what the pickle would have passed to the constructor and to __setstate__.
/// </summary>
public sealed class PickleObject(PickleGlobal type, object?[] args)
{
    public PickleGlobal Type { get; } = type;
    public string Module => Type.Module;
    public string Name => Type.Name;
    public object?[] Args { get; } = args;
    /// <summary>Keyword arguments from NEWOBJ_EX, when present.</summary>
    public PickleDict? Kwargs { get; init; }
    /// <summary>What BUILD passed (usually the instance __dict__ as a <see cref="PickleDict"/>).</summary>
    public object? State { get; set; }
    /// <summary>The slot state of a BUILD (state, slotstate) pair.</summary>
    public object? SlotState { get; set; }
    /// <summary>Items added by SETITEM(S) when the class is a dict subclass.</summary>
    public PickleDict? DictItems { get; set; }
    /// <summary>Items added by APPEND(S) when the class is a list subclass.</summary>
    public List<object?>? ListItems { get; set; }

    /// <summary>The BUILD state as a dict (the instance attributes), or null.</summary>
    public PickleDict? Attributes => State as PickleDict;

    public override string ToString() => $"<{Type.FullName} placeholder>";
}

/// <summary>A Python dict (or OrderedDict): insertion-ordered, keyed by strings, integers or tuples.</summary>
public sealed class PickleDict : IEnumerable<KeyValuePair<object, object?>>
{
    readonly List<object> order = [];
    readonly Dictionary<object, object?> map = new(PickleKeyComparer.Instance);

    public int Count => order.Count;
    public IEnumerable<object> Keys => order;

    public object? this[object key]
    {
        get => map.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"Key '{key}' is not in the pickled dict.");
        set
        {
            if (!map.ContainsKey(key)) order.Add(key);
            map[key] = value;
        }
    }

    public bool ContainsKey(object key) => map.ContainsKey(key);
    public bool TryGetValue(object key, out object? value) => map.TryGetValue(key, out value);
    public object? GetValueOrDefault(object key) => map.TryGetValue(key, out var v) ? v : null;

    public IEnumerator<KeyValuePair<object, object?>> GetEnumerator()
    {
        foreach (var k in order) yield return new KeyValuePair<object, object?>(k, map[k]);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Python equality for the key types a checkpoint uses: value equality, tuples compared element-wise.</summary>
sealed class PickleKeyComparer : IEqualityComparer<object>
{
    public static readonly PickleKeyComparer Instance = new();

    public new bool Equals(object? a, object? b)
    {
        if (a is object?[] ta && b is object?[] tb)
        {
            if (ta.Length != tb.Length) return false;
            for (int i = 0; i < ta.Length; i++)
                if (!(ta[i] is null ? tb[i] is null : tb[i] is not null && Equals(ta[i], tb[i]))) return false;
            return true;
        }
        return object.Equals(a, b);
    }

    public int GetHashCode(object o)
    {
        if (o is object?[] t)
        {
            var h = new HashCode();
            foreach (var e in t) h.Add(e is null ? 0 : GetHashCode(e));
            return h.ToHashCode();
        }
        return o.GetHashCode();
    }
}
