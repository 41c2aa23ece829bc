package main

import "syscall/js"

// fromJS decodes a JS value into Go: strings, numbers, booleans, null and
// undefined (nil), arrays ([]any) and plain objects (map[string]any). Any other
// object (URL, Date, function, class instance) becomes an opaque, so that
// parseConfigs can reject it by name instead of reading it as a string.
func fromJS(v js.Value) any {
	return decodeJS(v, 0)
}

func decodeJS(v js.Value, depth int) any {
	switch v.Type() {
	case js.TypeString:
		return v.String()
	case js.TypeNumber:
		return v.Float()
	case js.TypeBoolean:
		return v.Bool()
	case js.TypeNull, js.TypeUndefined:
		return nil
	case js.TypeFunction:
		return opaque{"function"}
	case js.TypeObject:
		if depth > 8 {
			return opaque{"deeply nested object"}
		}
		if js.Global().Get("Array").Call("isArray", v).Bool() {
			out := make([]any, v.Length())
			for i := range out {
				out[i] = decodeJS(v.Index(i), depth+1)
			}
			return out
		}
		proto := js.Global().Get("Object").Call("getPrototypeOf", v)
		if !proto.IsNull() && !proto.Equal(js.Global().Get("Object").Get("prototype")) {
			name := "object"
			if c := v.Get("constructor"); c.Type() == js.TypeFunction {
				name = c.Get("name").String() + " object"
			}
			return opaque{name}
		}
		keys := js.Global().Get("Object").Call("keys", v)
		out := make(map[string]any, keys.Length())
		for i := 0; i < keys.Length(); i++ {
			k := keys.Index(i).String()
			out[k] = decodeJS(v.Get(k), depth+1)
		}
		return out
	}
	return opaque{v.Type().String()}
}
