// The front library this core serves: set once by forkless_core_attach,
// before anything else of the core runs. Null where the core is linked
// directly (the unit tests): the core then resolves and registers for
// itself.
#pragma once

#include "front_abi.h"

namespace forkless {

const front_services* serving_front();
void set_serving_front(const front_services* front);

}  // namespace forkless
