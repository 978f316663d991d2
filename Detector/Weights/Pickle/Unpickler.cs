using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace YoloDistill.Detector.Weights.Pickle;

/// <summary>
/// A safe reader for the pickle subset torch.save emits (protocol 2, plus the protocol 3-5 framing opcodes).
/// It never imports or runs anything the file names: calls to a small whitelist of known callables are interpreted
/// (the caller adds its own, e.g. torch's tensor rebuilders), and every other class or function becomes an inert
/// <see cref="PickleObject"/> that only records its arguments and state. Opcodes that cannot be handled that way
/// (INST, OBJ, the extension registry, out-of-band buffers, text persistent ids) are refused.
/// </summary>
public sealed class Unpickler
{
    /// <summary>A whitelisted callable: receives the REDUCE/NEWOBJ arguments, returns the value to push.</summary>
    public delegate object? Callable(object?[] args);

    readonly Dictionary<(string, string), Callable> callables = new()
    {
        [("collections", "OrderedDict")] = NewDict,
        [("builtins", "dict")] = NewDict,
        [("__builtin__", "dict")] = NewDict,
        [("builtins", "set")] = NewSet,
        [("__builtin__", "set")] = NewSet,
        [("builtins", "frozenset")] = NewSet,
        [("__builtin__", "frozenset")] = NewSet,
        [("builtins", "list")] = a => a.Length == 0 ? new List<object?>() : new List<object?>(Items(a[0])),
        [("__builtin__", "list")] = a => a.Length == 0 ? new List<object?>() : new List<object?>(Items(a[0])),
        [("_codecs", "encode")] = Encode,
    };

    readonly Func<object?, object?>? persistentLoad;
    readonly string source;

    /// <param name="source">Named in error messages (the file, or file!entry).</param>
    /// <param name="persistentLoad">Resolves BINPERSID ids; without it persistent ids are refused.</param>
    public Unpickler(string source, Func<object?, object?>? persistentLoad = null)
    {
        this.source = source;
        this.persistentLoad = persistentLoad;
    }

    /// <summary>Whitelists a callable by its pickled module and name.</summary>
    public Unpickler Allow(string module, string name, Callable call)
    {
        callables[(module, name)] = call;
        return this;
    }

    public object? Load(ReadOnlySpan<byte> data)
    {
        var stack = new List<object?>();
        var marks = new Stack<int>();
        var memo = new Dictionary<long, object?>();
        int pos = 0;

        while (true)
        {
            int at = pos;
            byte op = Take(data, ref pos, 1)[0];
            switch (op)
            {
                case 0x80: Take(data, ref pos, 1); break;                           // PROTO
                case 0x95: Take(data, ref pos, 8); break;                           // FRAME
                case 0x2e:                                                          // STOP
                    if (stack.Count != 1) throw Bad(at, $"STOP with {stack.Count} values on the stack");
                    return stack[0];
                case 0x28: marks.Push(stack.Count); break;                          // MARK
                case 0x30: Pop(stack, at); break;                                   // POP
                case 0x31: PopMark(stack, marks, at); break;                        // POP_MARK
                case 0x32: stack.Add(Peek(stack, at)); break;                       // DUP

                case 0x4e: stack.Add(null); break;                                  // NONE
                case 0x88: stack.Add(true); break;                                  // NEWTRUE
                case 0x89: stack.Add(false); break;                                 // NEWFALSE
                case 0x4b: stack.Add((long)Take(data, ref pos, 1)[0]); break;       // BININT1
                case 0x4d: stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(data, ref pos, 2))); break; // BININT2
                case 0x4a: stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(data, ref pos, 4))); break;  // BININT
                case 0x8a: stack.Add(ReadLong(Take(data, ref pos, Take(data, ref pos, 1)[0]))); break;            // LONG1
                case 0x8b: stack.Add(ReadLong(Take(data, ref pos, Length(data, ref pos, 4, at)))); break;         // LONG4
                case 0x47: stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(data, ref pos, 8))); break;        // BINFLOAT

                case 0x8c: stack.Add(Utf8(Take(data, ref pos, Take(data, ref pos, 1)[0]), at)); break;            // SHORT_BINUNICODE
                case 0x58: stack.Add(Utf8(Take(data, ref pos, Length(data, ref pos, 4, at)), at)); break;         // BINUNICODE
                case 0x8d: stack.Add(Utf8(Take(data, ref pos, Length(data, ref pos, 8, at)), at)); break;         // BINUNICODE8
                case 0x55: stack.Add(Encoding.Latin1.GetString(Take(data, ref pos, Take(data, ref pos, 1)[0]))); break; // SHORT_BINSTRING
                case 0x54: stack.Add(Encoding.Latin1.GetString(Take(data, ref pos, Length(data, ref pos, 4, at)))); break; // BINSTRING
                case 0x43: stack.Add(Take(data, ref pos, Take(data, ref pos, 1)[0]).ToArray()); break;            // SHORT_BINBYTES
                case 0x42: stack.Add(Take(data, ref pos, Length(data, ref pos, 4, at)).ToArray()); break;         // BINBYTES
                case 0x8e: stack.Add(Take(data, ref pos, Length(data, ref pos, 8, at)).ToArray()); break;         // BINBYTES8

                case 0x7d: stack.Add(new PickleDict()); break;                      // EMPTY_DICT
                case 0x5d: stack.Add(new List<object?>()); break;                   // EMPTY_LIST
                case 0x29: stack.Add(Array.Empty<object?>()); break;                // EMPTY_TUPLE
                case 0x8f: stack.Add(new HashSet<object>(PickleKeyComparer.Instance)); break; // EMPTY_SET
                case 0x85: stack.Add(PopN(stack, 1, at)); break;                    // TUPLE1
                case 0x86: stack.Add(PopN(stack, 2, at)); break;                    // TUPLE2
                case 0x87: stack.Add(PopN(stack, 3, at)); break;                    // TUPLE3
                case 0x74: stack.Add(PopMark(stack, marks, at)); break;             // TUPLE
                case 0x91: stack.Add(NewSet([PopMark(stack, marks, at)])); break;   // FROZENSET
                case 0x64: { var items = PopMark(stack, marks, at); var d = new PickleDict(); SetItems(d, items, at); stack.Add(d); break; } // DICT
                case 0x6c: stack.Add(new List<object?>(PopMark(stack, marks, at))); break; // LIST

                case 0x71: memo[Take(data, ref pos, 1)[0]] = Peek(stack, at); break;                                       // BINPUT
                case 0x72: memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4))] = Peek(stack, at); break; // LONG_BINPUT
                case 0x94: memo[memo.Count] = Peek(stack, at); break;                                                       // MEMOIZE
                case 0x68: stack.Add(Memo(memo, Take(data, ref pos, 1)[0], at)); break;                                     // BINGET
                case 0x6a: stack.Add(Memo(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4)), at)); break; // LONG_BINGET

                case 0x73:                                                          // SETITEM
                {
                    var v = Pop(stack, at); var k = Pop(stack, at);
                    SetItems(Peek(stack, at), [k, v], at);
                    break;
                }
                case 0x75: { var items = PopMark(stack, marks, at); SetItems(Peek(stack, at), items, at); break; } // SETITEMS
                case 0x61: { var v = Pop(stack, at); Append(Peek(stack, at), [v], at); break; }                    // APPEND
                case 0x65: { var items = PopMark(stack, marks, at); Append(Peek(stack, at), items, at); break; }   // APPENDS
                case 0x90:                                                          // ADDITEMS
                {
                    var items = PopMark(stack, marks, at);
                    if (Peek(stack, at) is not HashSet<object> set) throw Bad(at, "ADDITEMS on a value that is not a set");
                    foreach (var i in items) set.Add(i ?? throw Bad(at, "None in a set"));
                    break;
                }

                case 0x63:                                                          // GLOBAL
                {
                    var module = ReadLine(data, ref pos, at);
                    var name = ReadLine(data, ref pos, at);
                    stack.Add(new PickleGlobal(module, name));
                    break;
                }
                case 0x93:                                                          // STACK_GLOBAL
                {
                    var name = Pop(stack, at) as string ?? throw Bad(at, "STACK_GLOBAL name is not a string");
                    var module = Pop(stack, at) as string ?? throw Bad(at, "STACK_GLOBAL module is not a string");
                    stack.Add(new PickleGlobal(module, name));
                    break;
                }
                case 0x52:                                                          // REDUCE
                {
                    var args = Pop(stack, at) as object?[] ?? throw Bad(at, "REDUCE arguments are not a tuple");
                    stack.Add(Call(Pop(stack, at), args, at));
                    break;
                }
                case 0x81:                                                          // NEWOBJ
                {
                    var args = Pop(stack, at) as object?[] ?? throw Bad(at, "NEWOBJ arguments are not a tuple");
                    stack.Add(Call(Pop(stack, at), args, at));
                    break;
                }
                case 0x92:                                                          // NEWOBJ_EX
                {
                    var kwargs = Pop(stack, at) as PickleDict ?? throw Bad(at, "NEWOBJ_EX keyword arguments are not a dict");
                    var args = Pop(stack, at) as object?[] ?? throw Bad(at, "NEWOBJ_EX arguments are not a tuple");
                    var cls = Pop(stack, at) as PickleGlobal ?? throw Bad(at, "NEWOBJ_EX on a value that is not a class");
                    stack.Add(new PickleObject(cls, args) { Kwargs = kwargs });
                    break;
                }
                case 0x62: { var state = Pop(stack, at); Build(Peek(stack, at), state, at); break; } // BUILD
                case 0x51:                                                          // BINPERSID
                {
                    var pid = Pop(stack, at);
                    if (persistentLoad is null) throw Bad(at, "persistent id with no storage to resolve it");
                    stack.Add(persistentLoad(pid));
                    break;
                }

                default:
                    throw Bad(at, $"opcode 0x{op:x2} ('{(op is >= 0x20 and < 0x7f ? (char)op : '?')}') is not supported by this safe reader");
            }
        }
    }

    object? Call(object? callable, object?[] args, int at)
    {
        if (callable is not PickleGlobal g) throw Bad(at, $"call of a value that is not a global ({Describe(callable)})");
        if (callables.TryGetValue((g.Module, g.Name), out var call))
        {
            try { return call(args); }
            catch (Exception e) when (e is InvalidCastException or IndexOutOfRangeException or ArgumentException)
            {
                throw Bad(at, $"unexpected arguments for {g.FullName} ({e.Message})");
            }
        }
        return new PickleObject(g, args);
    }

    void Build(object? target, object? state, int at)
    {
        switch (target)
        {
            case PickleObject o:
                if (state is object?[] { Length: 2 } pair) { o.State = pair[0]; o.SlotState = pair[1]; }
                else o.State = state;
                break;
            case PickleDict d when state is PickleDict s:
                foreach (var (k, v) in s) d[k] = v;
                break;
            default:
                // Only a no-op BUILD on an interpreted value is harmless; anything else would need that type's __setstate__.
                if (state is null || state is PickleDict { Count: 0 }) break;
                throw Bad(at, $"BUILD with state on {Describe(target)}");
        }
    }

    void SetItems(object? target, IReadOnlyList<object?> items, int at)
    {
        if (items.Count % 2 != 0) throw Bad(at, "odd number of values for SETITEMS");
        PickleDict dict = target switch
        {
            PickleDict d => d,
            PickleObject o => o.DictItems ??= new PickleDict(),
            _ => throw Bad(at, $"SETITEM on {Describe(target)}"),
        };
        for (int i = 0; i < items.Count; i += 2)
            dict[items[i] ?? throw Bad(at, "dict key None is not supported")] = items[i + 1];
    }

    void Append(object? target, IReadOnlyList<object?> items, int at)
    {
        var list = target switch
        {
            List<object?> l => l,
            PickleObject o => o.ListItems ??= [],
            _ => throw Bad(at, $"APPEND on {Describe(target)}"),
        };
        list.AddRange(items);
    }

    static object? NewDict(object?[] args)
    {
        var d = new PickleDict();
        if (args.Length > 0 && args[0] is not null)
            foreach (var item in Items(args[0]))
                if (item is object?[] { Length: 2 } kv && kv[0] is not null) d[kv[0]!] = kv[1];
                else throw new ArgumentException("dict items are not (key, value) pairs");
        return d;
    }

    static object NewSet(object?[] args)
    {
        var s = new HashSet<object>(PickleKeyComparer.Instance);
        if (args.Length > 0)
            foreach (var i in Items(args[0])) s.Add(i ?? throw new ArgumentException("None in a set"));
        return s;
    }

    // Protocol 2 writes Python 3 bytes as _codecs.encode(text, 'latin1').
    static object Encode(object?[] args) =>
        args is [string s, string enc] && enc.Equals("latin1", StringComparison.OrdinalIgnoreCase)
            ? Encoding.Latin1.GetBytes(s)
            : args is [string s8, string enc8] && enc8.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
                ? Encoding.UTF8.GetBytes(s8)
                : throw new ArgumentException("expected (str, 'latin1')");

    static IEnumerable<object?> Items(object? v) => v switch
    {
        List<object?> l => l,
        object?[] t => t,
        HashSet<object> s => s,
        _ => throw new ArgumentException($"expected a list or tuple, got {Describe(v)}"),
    };

    ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int pos, int n)
    {
        if (n < 0 || pos > data.Length - n) throw Bad(pos, "data ends early (truncated)");
        var s = data.Slice(pos, n);
        pos += n;
        return s;
    }

    int Length(ReadOnlySpan<byte> data, ref int pos, int width, int at)
    {
        var b = Take(data, ref pos, width);
        long n = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b);
        if (n < 0 || n > data.Length - pos) throw Bad(at, $"length {n} runs past the end of the data (truncated)");
        return (int)n;
    }

    string ReadLine(ReadOnlySpan<byte> data, ref int pos, int at)
    {
        int nl = data[pos..].IndexOf((byte)'\n');
        if (nl < 0) throw Bad(at, "GLOBAL name not terminated (truncated)");
        var s = Encoding.UTF8.GetString(data.Slice(pos, nl));
        pos += nl + 1;
        return s;
    }

    string Utf8(ReadOnlySpan<byte> b, int at)
    {
        try { return new UTF8Encoding(false, true).GetString(b); }
        catch (DecoderFallbackException) { throw Bad(at, "string is not valid UTF-8"); }
    }

    static object ReadLong(ReadOnlySpan<byte> b)
    {
        if (b.Length == 0) return 0L;
        var v = new BigInteger(b, isUnsigned: false, isBigEndian: false);
        return v >= long.MinValue && v <= long.MaxValue ? (long)v : v;
    }

    object? Memo(Dictionary<long, object?> memo, long key, int at) =>
        memo.TryGetValue(key, out var v) ? v : throw Bad(at, $"memo key {key} was never stored");

    object? Pop(List<object?> stack, int at)
    {
        if (stack.Count == 0) throw Bad(at, "stack underflow");
        var v = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return v;
    }

    object? Peek(List<object?> stack, int at) => stack.Count > 0 ? stack[^1] : throw Bad(at, "stack underflow");

    object?[] PopN(List<object?> stack, int n, int at)
    {
        if (stack.Count < n) throw Bad(at, "stack underflow");
        var items = stack.GetRange(stack.Count - n, n).ToArray();
        stack.RemoveRange(stack.Count - n, n);
        return items;
    }

    object?[] PopMark(List<object?> stack, Stack<int> marks, int at)
    {
        if (marks.Count == 0) throw Bad(at, "no MARK to pop to");
        int m = marks.Pop();
        if (m > stack.Count) throw Bad(at, "MARK above the stack top");
        return PopN(stack, stack.Count - m, at);
    }

    static string Describe(object? v) => v switch
    {
        null => "None",
        PickleObject o => o.ToString(),
        PickleGlobal g => g.FullName,
        _ => v.GetType().Name,
    };

    InvalidDataException Bad(int offset, string what) =>
        new($"{source}: invalid or unsupported pickle at byte {offset}: {what}.");
}
