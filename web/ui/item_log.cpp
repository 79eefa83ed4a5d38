// ImGui's test-engine hooks, implemented to log each frame's interactive items (item_log.hpp).
// The hooks see a rectangle and an ID (ItemAdd) and, for most widgets, a label and status flags
// (ItemInfo); the kind is read from those and from the colours the item drew with.
#include "item_log.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "imgui.h"
#include "imgui_internal.h"

namespace {

struct RawItem {
    ImGuiID id = 0;
    ImRect rect, full;
    ImDrawList* list = nullptr;
    int vtx_begin = 0, vtx_end = -1;  // the vertices drawn between ItemAdd and ItemInfo
    std::string label;
    ImGuiItemStatusFlags flags = 0;
    ImGuiItemFlags in_flags = 0;
    bool has_info = false;
    float frame_height = 0;
    const char* kind = nullptr;  // set by item_log_note
};

constexpr std::size_t kMaxItems = 4000;  // a bound on the per-frame list, far above the lab's
bool g_enabled = false;
std::vector<RawItem> g_items;

// The slider whose shown value is read this frame (item_log_capture_value), and what was read.
ImGuiID g_value_id = 0;
bool g_value_logging = false;  // ImGui's text log is on for that item (ItemAdd to ItemInfo)
quantlab::widgets::SliderValue g_value;

// "Label##id" -> "Label"; a hidden label ("##dropout", "###id") gives its ID part, the only
// name a test can find the control by.
std::string visible_label(const char* label) {
    if (!label) return "";
    const char* end = std::strstr(label, "##");
    if (!end) return label;
    if (end != label) return std::string(label, end);
    while (*end == '#') ++end;
    return end;
}

// A style colour as the vertices carry it. Alpha counts: the light theme's button and check mark
// differ only in it.
ImU32 rgba(ImGuiCol c) {
    return ImGui::GetColorU32(c);
}

// Whether any vertex in [begin, end) of the item's draw list has one of the colours.
bool drew_with(const RawItem& it, int end, std::initializer_list<ImGuiCol> colors) {
    if (!it.list) return false;
    end = std::min(end, it.list->VtxBuffer.Size);
    for (int v = it.vtx_begin; v < end; ++v) {
        const ImU32 c = it.list->VtxBuffer[v].col;
        for (ImGuiCol k : colors)
            if (c == rgba(k)) return true;
    }
    return false;
}

// The first coloured vertex after ItemAdd is the widget's own frame (a combo's background).
bool starts_with(const RawItem& it, int end, std::initializer_list<ImGuiCol> colors) {
    if (!it.list || it.vtx_begin >= std::min(end, it.list->VtxBuffer.Size)) return false;
    const ImU32 c = it.list->VtxBuffer[it.vtx_begin].col;
    for (ImGuiCol k : colors)
        if (c == rgba(k)) return true;
    return false;
}

// A radio button starts with its circle in the frame-high square at its left; a button with its
// (maybe rounded) rectangle, whose first vertex lies further out. Colours cannot tell them apart:
// the light theme's hovered frame and its button have the same colour.
bool starts_with_left_circle(const RawItem& it, int end) {
    if (!it.list || std::fabs(it.rect.GetHeight() - it.frame_height) > 1.5f) return false;
    const int last = std::min({end, it.list->VtxBuffer.Size, it.vtx_begin + 8});
    if (last - it.vtx_begin < 8) return false;
    const float radius = (it.frame_height - 1) * 0.5f;
    const ImVec2 c(it.rect.Min.x + it.frame_height * 0.5f, it.rect.Min.y + it.frame_height * 0.5f);
    for (int v = it.vtx_begin; v < last; ++v) {
        const ImVec2 p = it.list->VtxBuffer[v].pos;
        const float d = std::sqrt((p.x - c.x) * (p.x - c.x) + (p.y - c.y) * (p.y - c.y));
        if (std::fabs(d - radius) > 1.5f) return false;
    }
    return true;
}

void classify(const RawItem& it, int end, quantlab::widgets::LoggedItem& out) {
    const std::initializer_list<ImGuiCol> frames = {ImGuiCol_FrameBg, ImGuiCol_FrameBgHovered,
                                                    ImGuiCol_FrameBgActive};
    if (!it.has_info) {  // BeginCombo and InvisibleButton report no label
        const bool frame_high = std::fabs(it.rect.GetHeight() - it.frame_height) < 1.5f;
        out.kind = frame_high && starts_with(it, end, frames) ? "combo" : "plot";
    } else if (it.flags & ImGuiItemStatusFlags_Checkable) {
        out.kind = "checkbox";
        out.value = (it.flags & ImGuiItemStatusFlags_Checked) ? 1 : 0;
    } else if (it.in_flags & ImGuiItemFlags_Inputable) {
        out.kind = drew_with(it, end, {ImGuiCol_SliderGrab, ImGuiCol_SliderGrabActive}) ? "slider"
                                                                                        : "text";
    } else if (starts_with_left_circle(it, end)) {
        out.kind = "radio";
        out.value = drew_with(it, end, {ImGuiCol_CheckMark}) ? 1 : 0;
    } else {
        out.kind = "button";
    }
}

}  // namespace

namespace {

// The end of a slider's value read: the text between the log's braces, when the item drew a
// slider's grab (a text field logs braces too).
void finish_value(const RawItem* item) {
    ImGuiContext& g = *GImGui;
    const std::string log = g.LogBuffer.c_str();
    ImGui::LogFinish();
    g_value_logging = false;
    const std::size_t open = log.find('{'), close = log.find('}', open + 1);
    if (!item || open == std::string::npos || close == std::string::npos) return;
    if (!(item->in_flags & ImGuiItemFlags_Inputable) ||
        !drew_with(*item, item->vtx_end, {ImGuiCol_SliderGrab, ImGuiCol_SliderGrabActive}))
        return;
    std::string text = log.substr(open + 1, close - open - 1);
    const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\r'; };
    while (!text.empty() && space(text.front())) text.erase(text.begin());
    while (!text.empty() && space(text.back())) text.pop_back();
    g_value.text = text;
    g_value.found = !text.empty();
}

}  // namespace

// ---- the hooks imgui.cpp and imgui_widgets.cpp call (declared in imgui_internal.h) ----------

void ImGuiTestEngineHook_ItemAdd(ImGuiContext* ctx, const ImRect& bb, ImGuiID id) {
    ImGuiContext& g = *ctx;
    ImGuiWindow* w = g.CurrentWindow;
    if (!g_enabled || !w || g_items.size() >= kMaxItems) return;
    if (g_value_logging && id != g_value_id) finish_value(nullptr);  // it was not a slider
    // Only for an item that takes typed input (sliders, drags, text fields), and only until its
    // ItemInfo: while ImGui logs it clips nothing, and depth 0 opens no tree node.
    if (id == g_value_id && !g.LogEnabled && !g_value_logging &&
        (g.LastItemData.InFlags & ImGuiItemFlags_Inputable)) {
        ImGui::LogToBuffer(0);  // the value a slider prints goes to g.LogBuffer as "{ value }"
        g_value_logging = true;
        g_value.x = bb.Min.x, g_value.y = bb.Min.y;  // a slider passes its frame here
        g_value.width = bb.GetWidth(), g_value.height = bb.GetHeight();
    }
    for (ImGuiWindow* child : w->DC.ChildWindows)  // EndChild adds the child's frame as an item
        if (child->ChildId == id) return;
    if (id == ImGui::GetWindowScrollbarID(w, ImGuiAxis_X) ||
        id == ImGui::GetWindowScrollbarID(w, ImGuiAxis_Y))
        return;  // a window's scrollbars are the window's, not the lesson's
    ImRect r = bb;
    r.ClipWith(w->ClipRect);
    // Scrolled away or clipped at the left: not listed. An item wholly past the right edge is
    // (with an empty rect), so that a test can see a control that does not fit.
    if (r.GetHeight() <= 0 || (r.GetWidth() <= 0 && bb.Min.x < w->ClipRect.Min.x)) return;
    r.Min.x = std::min(r.Min.x, r.Max.x);
    RawItem it;
    it.id = id;
    it.rect = r;
    it.full = bb;
    // In a table the table's box bounds the item: its cells are drawn clipped to it (a stretched
    // table's last header reaches a cell padding past it, never drawn), and in a table that scrolls
    // sideways what is past its edge is in reach (a row spanning all columns is added with the host
    // window's clipping). An item of a table wider than its window still reaches past the window.
    const ImGuiTable* table = g.CurrentTable;
    if (table) {
        it.full.Min.x = std::max(bb.Min.x, table->OuterRect.Min.x);
        it.full.Max.x = std::max(it.full.Min.x, std::min(bb.Max.x, table->OuterRect.Max.x));
    } else if (w->ScrollbarX) {
        it.full.Min.x = r.Min.x;
        it.full.Max.x = r.Max.x;
    }
    it.list = w->DrawList;
    it.vtx_begin = w->DrawList->VtxBuffer.Size;
    it.in_flags = g.LastItemData.InFlags;
    it.frame_height = g.FontSize + g.Style.FramePadding.y * 2;
    g_items.push_back(std::move(it));
}

void ImGuiTestEngineHook_ItemInfo(ImGuiContext*, ImGuiID id, const char* label,
                                  ImGuiItemStatusFlags flags) {
    // The item is one of the last few added (a group's inner items come before it).
    int looked = 0;
    for (auto it = g_items.rbegin(); it != g_items.rend() && looked < 8; ++it, ++looked) {
        if (it->id != id) continue;
        it->label = visible_label(label);
        it->flags = flags;
        it->has_info = true;
        it->vtx_end = it->list ? it->list->VtxBuffer.Size : it->vtx_begin;
        if (g_value_logging && id == g_value_id) finish_value(&*it);
        return;
    }
    if (g_value_logging && id == g_value_id) finish_value(nullptr);
}

void ImGuiTestEngineHook_Log(ImGuiContext*, const char*, ...) {}

const char* ImGuiTestEngine_FindItemDebugLabel(ImGuiContext*, ImGuiID) {
    return "";
}

namespace quantlab::widgets {

void item_log_enable() {
    g_enabled = true;
    ImGui::GetCurrentContext()->TestEngineHookItems = true;
    g_items.reserve(512);
}

void item_log_note(const char* label, const char* kind) {
    ImGuiContext& g = *GImGui;
    ImGuiWindow* w = g.CurrentWindow;
    if (!g_enabled || !w || g_items.size() >= kMaxItems) return;
    ImRect r = g.LastItemData.Rect;
    const ImRect full = r;
    r.ClipWith(w->ClipRect);
    if (r.GetWidth() <= 0 || r.GetHeight() <= 0) return;
    RawItem it;
    it.id = w->GetID(static_cast<int>(g_items.size()));
    it.rect = r;
    it.full = full;
    it.label = label;
    it.has_info = true;
    it.kind = kind;
    g_items.push_back(std::move(it));
}

void item_log_begin_frame() {
    g_items.clear();
}

std::vector<LoggedItem> item_log_items() {
    std::vector<LoggedItem> out;
    out.reserve(g_items.size());
    for (std::size_t i = 0; i < g_items.size(); ++i) {
        const RawItem& it = g_items[i];
        int end = it.vtx_end;
        if (end < 0) {  // no ItemInfo: up to the next item drawn into the same list
            end = it.list ? it.list->VtxBuffer.Size : 0;
            for (std::size_t j = i + 1; j < g_items.size(); ++j)
                if (g_items[j].list == it.list) {
                    end = g_items[j].vtx_begin;
                    break;
                }
        }
        LoggedItem o;
        o.id = it.id;
        o.label = it.label;
        o.x = it.rect.Min.x;
        o.y = it.rect.Min.y;
        o.width = it.rect.GetWidth();
        o.height = it.rect.GetHeight();
        o.full_x = it.full.Min.x;
        o.full_y = it.full.Min.y;
        o.full_width = it.full.GetWidth();
        o.full_height = it.full.GetHeight();
        if (it.kind)
            o.kind = it.kind;
        else
            classify(it, end, o);
        out.push_back(std::move(o));
    }
    return out;
}

void item_log_capture_value(unsigned id) {
    if (g_value_logging) ImGui::LogFinish();  // a read the item never finished (it was not drawn)
    g_value_logging = false;
    g_value_id = id;
    g_value = SliderValue{};
}

const SliderValue& item_log_captured_value() {
    if (g_value_logging) {  // ItemInfo never came (the slider returned early): nothing read
        ImGui::LogFinish();
        g_value_logging = false;
    }
    return g_value;
}

std::string item_kind(unsigned id) {
    for (const LoggedItem& it : item_log_items())
        if (it.id == id) return it.kind;
    return "";
}

}  // namespace quantlab::widgets
