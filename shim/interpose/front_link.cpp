#include "front_link.h"

namespace forkless {
namespace {
const front_services* front = nullptr;
}

const front_services* serving_front() { return front; }
void set_serving_front(const front_services* served) { front = served; }

}  // namespace forkless
